import type { TfOpTable } from '../registry.js';
import { CUSTOM_OPS } from './custom.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { NN_OPS } from './nn.js';
import { QUANT_OPS } from './quant.js';
import { TENSOR_OPS } from './tensor.js';
import { DETECTION_OPS } from './detection.js';

/** Every TFLite builtin operator the frontend imports, keyed by its BuiltinOperator name. */
export const TFLITE_BUILTIN_OPS: TfOpTable = { ...ELEMENTWISE_OPS, ...NN_OPS, ...TENSOR_OPS, ...QUANT_OPS, ...DETECTION_OPS };

/** Custom operators (CUSTOM with a custom_code), keyed by that code. */
export const TFLITE_CUSTOM_OPS: TfOpTable = { ...CUSTOM_OPS };
