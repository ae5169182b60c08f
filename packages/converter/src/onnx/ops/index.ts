import type { OnnxOpTable } from '../registry.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { NN_OPS } from './nn.js';
import { NN_MORE_OPS } from './nn-more.js';
import { TENSOR_OPS } from './tensor.js';
import { TENSOR_MORE_OPS } from './tensor-more.js';
import { RECURRENT_OPS } from './recurrent.js';
import { LOSS_OPS } from './loss.js';
import { QUANT_OPS } from './quant.js';
import { SIGNAL_OPS } from './signal.js';
import { MATH_OPS } from './math.js';
import { REDUCE_ONNX_OPS } from './reduce.js';
import { CONTROL_OPS } from './control.js';
import { SEQUENCE_ONNX_OPS } from './sequence.js';
import { DETECTION_OPS } from './detection.js';

/** Every ONNX op (default domain) the frontend imports, keyed by ONNX op type. */
export const ONNX_OPS: OnnxOpTable = { ...ELEMENTWISE_OPS, ...NN_OPS, ...TENSOR_OPS,
  // Recurrent, loss, quantization, signal (its Dropout entry, after tensor.ts, adds training mode to the inference-only one)
  ...RECURRENT_OPS, ...LOSS_OPS, ...QUANT_OPS, ...SIGNAL_OPS,
  // Element-wise math, reductions
  ...MATH_OPS, ...REDUCE_ONNX_OPS,
  // Transposed / N-d convolution and pooling, normalisations, Einsum, Det
  ...NN_MORE_OPS,
  // Data movement, indexing, Resize
  ...TENSOR_MORE_OPS,
  // If, Loop, Scan (bodies imported as nested graphs); sequences (resolved when planning)
  ...CONTROL_OPS, ...SEQUENCE_ONNX_OPS,
  // NonMaxSuppression (data-dependent output length)
  ...DETECTION_OPS };
