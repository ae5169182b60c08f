import type { OnnxOpTable } from '../registry.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { NN_OPS } from './nn.js';
import { TENSOR_OPS } from './tensor.js';

/** Every ONNX op (default domain) the frontend imports, keyed by ONNX op type. */
export const ONNX_OPS: OnnxOpTable = { ...ELEMENTWISE_OPS, ...NN_OPS, ...TENSOR_OPS };
