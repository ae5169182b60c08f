// Importing this module registers every op schema.
import './elementwise.js';
import './nn.js';
import './nn-more.js';
import './tensor-ops.js';
import './tensor-more.js';
import './grad.js';
import './math.js';
import './reduce.js';
import './tflite-custom.js';
import './control.js';
import './sequence.js';
import './detection.js';

export * from './schema.js';
export { FUSED_ACTIVATIONS, LAYOUTS, AUTO_PADS, samePads, windowOutDim } from './nn.js';
export { resolveSlice, reshapeTarget, permOf, shapeRange, squeezeShape, unsqueezeShape } from './tensor-ops.js';
export { broadcastMap } from './util.js';
// Recurrent, loss, quantization and signal ops (register on import).
export * from './recurrent.js';
export * from './loss.js';
export * from './quant.js';
export * from './signal.js';
export { REDUCE_OPS, reduceAxes } from './reduce.js';
export { sgdStep, adamStep, reduceToShape, activationDerivative, avgPoolDivisors, OUTPUT_BASED_ACTIVATIONS, ACTIVATION_GRADS, TRAIN_OPS, type OptimStep } from './grad.js';
export { POOL_MODES, convTransposeOutDim, convTransposePadBegin, einsumSizes, parseEinsum } from './nn-more.js';
// Control flow (If, Loop, Scan; closed bodies, captures passed as trailing inputs).
export { closeBody, freeValues } from './control.js';
export { SEQUENCE_OPS, SEQUENCE_PRODUCERS } from './sequence.js';
export { nonMaxSuppression } from './detection.js';
// Data movement, indexing, Resize (register on import).
export * from './tensor-more.js';
