export * from './errors.js';
export * from './dtype.js';
export * from './shape.js';
export { Tensor } from './tensor.js';
export { Graph, Node, Value, type Attrs, type AttrValue, type QuantParams } from './graph.js';
export * from './ops/index.js';
export { inferNode, inferShapes, tryEvaluate, validateGraph, type InferOptions } from './infer.js';
export { encodeNpy, decodeNpy } from './npy.js';
export * from './io.js';
