// @goldcrest/runtime-native: run core-ir graphs on native CPU kernels.
export { Tensor } from '@goldcrest/core-ir';
export { InferenceSession, ISAS, type Isa, type SessionOptions, type ValueMetadata, type NodeProfile } from './session.js';
export { supportedIsas } from './native.js';
export { lowerGraph, selectKernel, type ExecutionPlan, type NativePlan, type PlanNode, type PlanTensor, type PlanIO } from './plan.js';
export { planArena, type StorageLifetime } from './memory.js';
export { KERNELS, ALIAS_OPS, type KernelInfo } from './kernels.generated.js';
