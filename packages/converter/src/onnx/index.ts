export { importOnnx, type ImportOnnxOptions } from './import.js';
export { ONNX_OPS } from './ops/index.js';
export { MAX_OPSET, type OnnxOpEntry, type OnnxOpTable } from './registry.js';
export { OnnxNode } from './node.js';
