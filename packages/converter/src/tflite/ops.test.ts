// One single-op TFLite model per supported operator, built with our schema's generated TS, run by
// Google's LiteRT and by Goldcrest (convert + runtime-native) on the same random inputs.
import { describe, expect, it } from 'vitest';
import { Tensor, rng, runReference } from '@goldcrest/core-ir';
// runtime-native depends on the converter, so the converter cannot declare it: tests import its source.
import { InferenceSession } from '../../../runtime-native/src/index.js';
import { convert } from '../convert.js';
import * as fb from './generated/index.js';
import { type ModelSpec, type OpSpec, type TensorSpec, buildTflite, relErr, runLiteRt } from './testing.js';
import { TFLITE_BUILTIN_OPS, TFLITE_CUSTOM_OPS } from './ops/index.js';

const { FLOAT32: F, INT32: I32, BOOL: B, FLOAT16: F16, INT64: I64 } = fb.TensorType;
const O = fb.BuiltinOptions;
const A = fb.ActivationFunctionType;
const r = rng(11);

const T = (name: string, shape: number[], type: fb.TensorType = F, data?: ArrayBufferView): TensorSpec => ({ name, shape, type, ...(data ? { data } : {}) });
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
const randF = (shape: number[], lo = -1, hi = 1) => Float32Array.from({ length: numel(shape) }, () => lo + (hi - lo) * r());
const ints = (v: number[]) => Int32Array.from(v);

/** tensors + ops -> a model: inputs are the tensors nothing produces and that hold no data. */
function model(tensors: TensorSpec[], ops: OpSpec[], outputs?: number[]): ModelSpec {
  const produced = new Set(ops.flatMap((o) => o.outputs));
  const inputs = tensors.map((_, i) => i).filter((i) => !tensors[i].data && !produced.has(i));
  return { tensors, inputs, outputs: outputs ?? ops[ops.length - 1].outputs, ops };
}

/** x -> op -> y with the same shape (or `out`). */
const unary = (op: fb.BuiltinOperator, opts?: OpSpec['options'], shape = [2, 3, 4, 5], out = shape, outType: fb.TensorType = F, inType: fb.TensorType = F) =>
  model([T('x', shape, inType), T('y', out, outType)], [{ op, inputs: [0], outputs: [1], options: opts }]);

const binary = (op: fb.BuiltinOperator, opts?: OpSpec['options'], a = [2, 3, 4], b = [4], outType: fb.TensorType = F, inType: fb.TensorType = F) =>
  model([T('x', a, inType), T('z', b, inType), T('y', a.length >= b.length ? a : b, outType)], [{ op, inputs: [0, 1], outputs: [2], options: opts }]);

interface Case {
  name: string;
  spec: ModelSpec;
  range?: [number, number];
  tol?: number;
  options?: { dequantize?: boolean; keepFp16?: boolean };
  /** Outputs compared with LiteRT (default all); the others are checked against core-ir's reference evaluators. */
  compare?: number[];
}

const conv = (b: import('flatbuffers').Builder, pad: fb.Padding, sw: number, sh: number, act: fb.ActivationFunctionType, dw = 1, dh = 1) => fb.Conv2DOptions.createConv2DOptions(b, pad, sw, sh, act, dw, dh, 0);
const pool = (pad: fb.Padding, s: number, k: number, act = A.NONE): OpSpec['options'] => [O.Pool2DOptions, (b) => fb.Pool2DOptions.createPool2DOptions(b, pad, s, s, k, k, act)];
const reducer = (keep: boolean): OpSpec['options'] => [O.ReducerOptions, (b) => fb.ReducerOptions.createReducerOptions(b, keep)];
const reduceCase = (op: fb.BuiltinOperator, keep: boolean, axes: number[], out: number[]) =>
  model([T('x', [2, 3, 4]), T('axes', [axes.length], I32, ints(axes)), T('y', out)], [{ op, inputs: [0, 1], outputs: [2], options: reducer(keep) }]);

/** LiteRT.js cannot return bool tensors: comparisons are followed by CAST to int32. */
const compare = (op: fb.BuiltinOperator) =>
  model([T('x', [2, 3, 4], I32), T('z', [4], I32), T('c', [2, 3, 4], B), T('y', [2, 3, 4], I32)],
    [{ op, inputs: [0, 1], outputs: [2] }, { op: fb.BuiltinOperator.CAST, inputs: [2], outputs: [3] }]);

/** ... nor take bool inputs: int32 0/1 -> CAST -> logical op -> CAST. */
function logical(op: fb.BuiltinOperator, arity: 1 | 2): ModelSpec {
  const ts = [T('a', [2, 3, 4], I32), T('b', [2, 3, 4], I32), T('ab', [2, 3, 4], B), T('bb', [2, 3, 4], B), T('c', [2, 3, 4], B), T('y', [2, 3, 4], I32)];
  const ops: OpSpec[] = [{ op: fb.BuiltinOperator.CAST, inputs: [0], outputs: [2] }];
  if (arity === 2) ops.push({ op: fb.BuiltinOperator.CAST, inputs: [1], outputs: [3] });
  ops.push({ op, inputs: arity === 2 ? [2, 3] : [2], outputs: [4] }, { op: fb.BuiltinOperator.CAST, inputs: [4], outputs: [5] });
  return arity === 2 ? model(ts, ops) : model([ts[0], ts[2], ts[4], ts[5]], [
    { op: fb.BuiltinOperator.CAST, inputs: [0], outputs: [1] }, { op, inputs: [1], outputs: [2] }, { op: fb.BuiltinOperator.CAST, inputs: [2], outputs: [3] }]);
}

function poolParams(padding: number, stride: number, filter: number): Uint8Array {
  return new Uint8Array(Int32Array.from([padding, stride, stride, filter, filter, 0, 0, 0, 0, 0]).buffer);
}

const CASES: Case[] = [
  // element-wise arithmetic, with broadcasting and fused activations
  { name: 'ADD relu', spec: binary(fb.BuiltinOperator.ADD, [O.AddOptions, (b) => fb.AddOptions.createAddOptions(b, A.RELU, true)]) },
  {
    name: 'SUB relu6 (two-sided broadcast)',
    spec: model([T('x', [2, 1, 4]), T('z', [3, 1]), T('y', [2, 3, 4])], [{ op: fb.BuiltinOperator.SUB, inputs: [0, 1], outputs: [2], options: [O.SubOptions, (b) => fb.SubOptions.createSubOptions(b, A.RELU6, true)] }]),
    range: [-8, 8],
  },
  { name: 'MUL with fused TANH (TFLite kernels apply no clamp)', spec: binary(fb.BuiltinOperator.MUL, [O.MulOptions, (b) => fb.MulOptions.createMulOptions(b, A.TANH)]) },
  { name: 'DIV relu_n1_to_1', spec: binary(fb.BuiltinOperator.DIV, [O.DivOptions, (b) => fb.DivOptions.createDivOptions(b, A.RELU_N1_TO_1)]), range: [0.5, 2] },
  { name: 'MAXIMUM', spec: binary(fb.BuiltinOperator.MAXIMUM) },
  { name: 'MINIMUM', spec: binary(fb.BuiltinOperator.MINIMUM) },
  { name: 'POW', spec: binary(fb.BuiltinOperator.POW), range: [0.5, 2] },
  { name: 'SQUARED_DIFFERENCE', spec: binary(fb.BuiltinOperator.SQUARED_DIFFERENCE) },
  { name: 'FLOOR_DIV', spec: binary(fb.BuiltinOperator.FLOOR_DIV), range: [0.3, 3] },
  { name: 'LESS', spec: compare(fb.BuiltinOperator.LESS), range: [-2, 2] },
  { name: 'LESS_EQUAL', spec: compare(fb.BuiltinOperator.LESS_EQUAL), range: [-2, 2] },
  { name: 'GREATER', spec: compare(fb.BuiltinOperator.GREATER), range: [-2, 2] },
  { name: 'GREATER_EQUAL', spec: compare(fb.BuiltinOperator.GREATER_EQUAL), range: [-2, 2] },
  { name: 'EQUAL', spec: compare(fb.BuiltinOperator.EQUAL), range: [-2, 2] },
  { name: 'NOT_EQUAL', spec: compare(fb.BuiltinOperator.NOT_EQUAL), range: [-2, 2] },
  { name: 'LOGICAL_AND', spec: logical(fb.BuiltinOperator.LOGICAL_AND, 2), range: [0, 1] },
  { name: 'LOGICAL_OR', spec: logical(fb.BuiltinOperator.LOGICAL_OR, 2), range: [0, 1] },
  { name: 'LOGICAL_NOT', spec: logical(fb.BuiltinOperator.LOGICAL_NOT, 1), range: [0, 1] },
  {
    name: 'SELECT_V2',
    spec: model([T('ci', [3, 4], I32), T('c', [3, 4], B), T('a', [2, 3, 4]), T('b', [4]), T('y', [2, 3, 4])],
      [{ op: fb.BuiltinOperator.CAST, inputs: [0], outputs: [1] }, { op: fb.BuiltinOperator.SELECT_V2, inputs: [1, 2, 3], outputs: [4] }]),
  },
  {
    name: 'ADD_N',
    spec: model([T('a', [2, 3]), T('b', [2, 3]), T('c', [2, 3]), T('y', [2, 3])], [{ op: fb.BuiltinOperator.ADD_N, inputs: [0, 1, 2], outputs: [3] }]),
  },
  // unary math and activations
  { name: 'ABS', spec: unary(fb.BuiltinOperator.ABS) },
  { name: 'NEG', spec: unary(fb.BuiltinOperator.NEG) },
  { name: 'EXP', spec: unary(fb.BuiltinOperator.EXP), range: [-2, 2] },
  { name: 'LOG', spec: unary(fb.BuiltinOperator.LOG), range: [0.1, 3] },
  { name: 'SQRT', spec: unary(fb.BuiltinOperator.SQRT), range: [0.1, 3] },
  { name: 'RSQRT', spec: unary(fb.BuiltinOperator.RSQRT), range: [0.1, 3] },
  { name: 'SQUARE', spec: unary(fb.BuiltinOperator.SQUARE) },
  { name: 'SIN', spec: unary(fb.BuiltinOperator.SIN), range: [-3, 3] },
  { name: 'COS', spec: unary(fb.BuiltinOperator.COS), range: [-3, 3] },
  { name: 'FLOOR', spec: unary(fb.BuiltinOperator.FLOOR), range: [-3, 3] },
  { name: 'CEIL', spec: unary(fb.BuiltinOperator.CEIL), range: [-3, 3] },
  { name: 'ROUND', spec: unary(fb.BuiltinOperator.ROUND), range: [-3, 3] },
  { name: 'SIGN', spec: unary(fb.BuiltinOperator.SIGN) },
  { name: 'LOGISTIC', spec: unary(fb.BuiltinOperator.LOGISTIC), range: [-6, 6] },
  { name: 'TANH', spec: unary(fb.BuiltinOperator.TANH), range: [-3, 3] },
  { name: 'RELU', spec: unary(fb.BuiltinOperator.RELU) },
  { name: 'RELU6', spec: unary(fb.BuiltinOperator.RELU6), range: [-8, 8] },
  { name: 'RELU_N1_TO_1', spec: unary(fb.BuiltinOperator.RELU_N1_TO_1), range: [-2, 2] },
  { name: 'RELU_0_TO_1', spec: unary(fb.BuiltinOperator.RELU_0_TO_1), range: [-2, 2] },
  { name: 'ELU', spec: unary(fb.BuiltinOperator.ELU), range: [-3, 3] },
  { name: 'HARD_SWISH', spec: unary(fb.BuiltinOperator.HARD_SWISH), range: [-5, 5] },
  { name: 'LEAKY_RELU', spec: unary(fb.BuiltinOperator.LEAKY_RELU, [O.LeakyReluOptions, (b) => fb.LeakyReluOptions.createLeakyReluOptions(b, 0.2)]) },
  { name: 'GELU exact', spec: unary(fb.BuiltinOperator.GELU, [O.GeluOptions, (b) => fb.GeluOptions.createGeluOptions(b, false)]), range: [-3, 3] },
  { name: 'GELU tanh', spec: unary(fb.BuiltinOperator.GELU, [O.GeluOptions, (b) => fb.GeluOptions.createGeluOptions(b, true)]), range: [-3, 3] },
  {
    name: 'PRELU',
    spec: model([T('x', [1, 4, 4, 3]), T('alpha', [1, 1, 3], F, Float32Array.from([0.1, 0.5, -0.3])), T('y', [1, 4, 4, 3])], [{ op: fb.BuiltinOperator.PRELU, inputs: [0, 1], outputs: [2] }]),
  },
  { name: 'SOFTMAX', spec: unary(fb.BuiltinOperator.SOFTMAX, [O.SoftmaxOptions, (b) => fb.SoftmaxOptions.createSoftmaxOptions(b, 1)]), range: [-3, 3] },
  { name: 'SOFTMAX beta 0.5', spec: unary(fb.BuiltinOperator.SOFTMAX, [O.SoftmaxOptions, (b) => fb.SoftmaxOptions.createSoftmaxOptions(b, 0.5)]), range: [-3, 3] },
  { name: 'LOG_SOFTMAX', spec: unary(fb.BuiltinOperator.LOG_SOFTMAX), range: [-3, 3] },
  { name: 'L2_NORMALIZATION', spec: unary(fb.BuiltinOperator.L2_NORMALIZATION, [O.L2NormOptions, (b) => fb.L2NormOptions.createL2NormOptions(b, A.NONE)]) },
  // convolution, pooling, matrix products
  {
    name: 'CONV_2D SAME stride 2 relu6',
    spec: model([T('x', [1, 9, 8, 3]), T('w', [4, 3, 3, 3], F, randF([4, 3, 3, 3])), T('b', [4], F, randF([4])), T('y', [1, 5, 4, 4])],
      [{ op: fb.BuiltinOperator.CONV_2D, inputs: [0, 1, 2], outputs: [3], options: [O.Conv2DOptions, (b) => conv(b, fb.Padding.SAME, 2, 2, A.RELU6)] }]),
    range: [-2, 2],
  },
  {
    name: 'CONV_2D VALID dilated',
    spec: model([T('x', [1, 9, 9, 2]), T('w', [3, 3, 3, 2], F, randF([3, 3, 3, 2])), T('b', [3], F, randF([3])), T('y', [1, 5, 5, 3])],
      [{ op: fb.BuiltinOperator.CONV_2D, inputs: [0, 1, 2], outputs: [3], options: [O.Conv2DOptions, (b) => conv(b, fb.Padding.VALID, 1, 1, A.NONE, 2, 2)] }]),
  },
  {
    name: 'DEPTHWISE_CONV_2D SAME multiplier 2 relu',
    spec: model([T('x', [1, 7, 6, 3]), T('w', [1, 3, 3, 6], F, randF([1, 3, 3, 6])), T('b', [6], F, randF([6])), T('y', [1, 4, 3, 6])],
      [{ op: fb.BuiltinOperator.DEPTHWISE_CONV_2D, inputs: [0, 1, 2], outputs: [3], options: [O.DepthwiseConv2DOptions, (b) => fb.DepthwiseConv2DOptions.createDepthwiseConv2DOptions(b, fb.Padding.SAME, 2, 2, 2, A.RELU, 1, 1)] }]),
  },
  {
    name: 'TRANSPOSE_CONV SAME stride 2',
    spec: model([T('shape', [4], I32, ints([1, 8, 10, 3])), T('w', [3, 3, 3, 4], F, randF([3, 3, 3, 4])), T('x', [1, 4, 5, 4]), T('b', [3], F, randF([3])), T('y', [1, 8, 10, 3])],
      [{ op: fb.BuiltinOperator.TRANSPOSE_CONV, version: 3, inputs: [0, 1, 2, 3], outputs: [4], options: [O.TransposeConvOptions, (b) => fb.TransposeConvOptions.createTransposeConvOptions(b, fb.Padding.SAME, 2, 2, A.NONE, 0)] }]),
  },
  { name: 'MAX_POOL_2D SAME 3x3 stride 2', spec: unary(fb.BuiltinOperator.MAX_POOL_2D, pool(fb.Padding.SAME, 2, 3), [1, 7, 6, 3], [1, 4, 3, 3]) },
  { name: 'AVERAGE_POOL_2D SAME 3x3 stride 2', spec: unary(fb.BuiltinOperator.AVERAGE_POOL_2D, pool(fb.Padding.SAME, 2, 3), [1, 7, 6, 3], [1, 4, 3, 3]) },
  { name: 'AVERAGE_POOL_2D global window (SAME, as MediaPipe) -> ReduceMean', spec: unary(fb.BuiltinOperator.AVERAGE_POOL_2D, pool(fb.Padding.SAME, 64, 64), [1, 64, 64, 5], [1, 1, 1, 5]) },
  { name: 'AVERAGE_POOL_2D VALID relu', spec: unary(fb.BuiltinOperator.AVERAGE_POOL_2D, pool(fb.Padding.VALID, 2, 2, A.RELU), [1, 6, 6, 2], [1, 3, 3, 2]) },
  {
    name: 'FULLY_CONNECTED rank 3 flattened, relu',
    spec: model([T('x', [2, 3, 5]), T('w', [4, 5], F, randF([4, 5])), T('b', [4], F, randF([4])), T('y', [6, 4])],
      [{ op: fb.BuiltinOperator.FULLY_CONNECTED, inputs: [0, 1, 2], outputs: [3], options: [O.FullyConnectedOptions, (b) => fb.FullyConnectedOptions.createFullyConnectedOptions(b, A.RELU, 0, false, false, 0)] }]),
  },
  {
    name: 'FULLY_CONNECTED keep_num_dims',
    spec: model([T('x', [2, 3, 5]), T('w', [4, 5], F, randF([4, 5])), T('y', [2, 3, 4])],
      [{ op: fb.BuiltinOperator.FULLY_CONNECTED, version: 5, inputs: [0, 1, -1], outputs: [2], options: [O.FullyConnectedOptions, (b) => fb.FullyConnectedOptions.createFullyConnectedOptions(b, A.NONE, 0, true, false, 0)] }]),
  },
  {
    name: 'BATCH_MATMUL adj_y',
    spec: model([T('a', [2, 3, 4]), T('b', [2, 5, 4]), T('y', [2, 3, 5])],
      [{ op: fb.BuiltinOperator.BATCH_MATMUL, inputs: [0, 1], outputs: [2], options: [O.BatchMatMulOptions, (b) => fb.BatchMatMulOptions.createBatchMatMulOptions(b, false, true, false)] }]),
  },
  // data movement and shapes
  {
    name: 'RESHAPE (shape input)',
    spec: model([T('x', [2, 3, 4]), T('s', [2], I32, ints([-1, 4])), T('y', [6, 4])], [{ op: fb.BuiltinOperator.RESHAPE, inputs: [0, 1], outputs: [2] }]),
  },
  {
    name: 'RESHAPE (new_shape option)',
    spec: model([T('x', [2, 3, 4]), T('y', [4, 6])], [{ op: fb.BuiltinOperator.RESHAPE, inputs: [0], outputs: [1], options: [O.ReshapeOptions, (b) => fb.ReshapeOptions.createReshapeOptions(b, fb.ReshapeOptions.createNewShapeVector(b, [4, 6]))] }]),
  },
  {
    name: 'CONCATENATION axis -1',
    spec: model([T('a', [2, 3, 2]), T('b', [2, 3, 4]), T('y', [2, 3, 6])],
      [{ op: fb.BuiltinOperator.CONCATENATION, inputs: [0, 1], outputs: [2], options: [O.ConcatenationOptions, (b) => fb.ConcatenationOptions.createConcatenationOptions(b, -1, A.NONE)] }]),
  },
  { name: 'TRANSPOSE', spec: model([T('x', [2, 3, 4]), T('p', [3], I32, ints([2, 0, 1])), T('y', [4, 2, 3])], [{ op: fb.BuiltinOperator.TRANSPOSE, inputs: [0, 1], outputs: [2] }]) },
  {
    name: 'SQUEEZE',
    spec: model([T('x', [2, 1, 4, 1]), T('y', [2, 4, 1])], [{ op: fb.BuiltinOperator.SQUEEZE, inputs: [0], outputs: [1], options: [O.SqueezeOptions, (b) => fb.SqueezeOptions.createSqueezeOptions(b, fb.SqueezeOptions.createSqueezeDimsVector(b, [1]))] }]),
  },
  { name: 'EXPAND_DIMS', spec: model([T('x', [2, 4]), T('a', [1], I32, ints([-1])), T('y', [2, 4, 1])], [{ op: fb.BuiltinOperator.EXPAND_DIMS, inputs: [0, 1], outputs: [2] }]) },
  {
    name: 'SLICE',
    spec: model([T('x', [3, 4, 5]), T('b', [3], I32, ints([1, 0, 2])), T('s', [3], I32, ints([2, -1, 2])), T('y', [2, 4, 2])], [{ op: fb.BuiltinOperator.SLICE, inputs: [0, 1, 2], outputs: [3] }]),
  },
  {
    name: 'STRIDED_SLICE masks, negative stride, shrink',
    spec: model([T('x', [3, 6, 5]), T('b', [3], I32, ints([1, 5, 0])), T('e', [3], I32, ints([2, 0, 5])), T('s', [3], I32, ints([1, -2, 2])), T('y', [3, 3])],
      [{ op: fb.BuiltinOperator.STRIDED_SLICE, inputs: [0, 1, 2, 3], outputs: [4], options: [O.StridedSliceOptions, (b) => fb.StridedSliceOptions.createStridedSliceOptions(b, 0, 2, 0, 0, 1, false)] }]),
  },
  {
    name: 'GATHER axis 1',
    spec: model([T('x', [3, 5, 2]), T('i', [4], I32, ints([4, 0, 2, 2])), T('y', [3, 4, 2])],
      [{ op: fb.BuiltinOperator.GATHER, inputs: [0, 1], outputs: [2], options: [O.GatherOptions, (b) => fb.GatherOptions.createGatherOptions(b, 1, 0)] }]),
  },
  { name: 'GATHER_ND', spec: model([T('x', [3, 4, 2]), T('i', [2, 2], I32, ints([2, 1, 0, 3])), T('y', [2, 2])], [{ op: fb.BuiltinOperator.GATHER_ND, inputs: [0, 1], outputs: [2] }]) },
  {
    name: 'SHAPE',
    // LiteRT computes SHAPE at prepare time and does not return it as an output: add a run-time input.
    spec: model([T('x', [2, 3, 4]), T('s', [3], I32), T('z', [3], I32), T('y', [3], I32)],
      [{ op: fb.BuiltinOperator.SHAPE, inputs: [0], outputs: [1], options: [O.ShapeOptions, (b) => fb.ShapeOptions.createShapeOptions(b, I32)] }, { op: fb.BuiltinOperator.ADD, inputs: [1, 2], outputs: [3] }]),
    range: [-3, 3],
  },
  { name: 'CAST float -> int32', spec: unary(fb.BuiltinOperator.CAST, undefined, [2, 3, 4], [2, 3, 4], I32), range: [-5, 5] },
  {
    name: 'PACK axis 1',
    spec: model([T('a', [2, 3]), T('b', [2, 3]), T('y', [2, 2, 3])], [{ op: fb.BuiltinOperator.PACK, inputs: [0, 1], outputs: [2], options: [O.PackOptions, (b) => fb.PackOptions.createPackOptions(b, 2, 1)] }]),
  },
  {
    name: 'UNPACK axis 1',
    spec: model([T('x', [2, 3, 4]), T('a', [2, 4]), T('b', [2, 4]), T('c', [2, 4])], [{ op: fb.BuiltinOperator.UNPACK, inputs: [0], outputs: [1, 2, 3], options: [O.UnpackOptions, (b) => fb.UnpackOptions.createUnpackOptions(b, 3, 1)] }]),
  },
  {
    name: 'SPLIT',
    spec: model([T('axis', [], I32, ints([2])), T('x', [2, 3, 6]), T('a', [2, 3, 3]), T('b', [2, 3, 3])], [{ op: fb.BuiltinOperator.SPLIT, inputs: [0, 1], outputs: [2, 3], options: [O.SplitOptions, (b) => fb.SplitOptions.createSplitOptions(b, 2)] }]),
  },
  {
    name: 'SPLIT_V with -1',
    spec: model([T('x', [2, 7]), T('s', [3], I32, ints([2, -1, 1])), T('axis', [], I32, ints([1])), T('a', [2, 2]), T('b', [2, 4]), T('c', [2, 1])],
      [{ op: fb.BuiltinOperator.SPLIT_V, inputs: [0, 1, 2], outputs: [3, 4, 5], options: [O.SplitVOptions, (b) => fb.SplitVOptions.createSplitVOptions(b, 3)] }]),
  },
  { name: 'PAD', spec: model([T('x', [1, 3, 4, 2]), T('p', [4, 2], I32, ints([0, 0, 1, 2, 0, 1, 0, 3])), T('y', [1, 6, 5, 5])], [{ op: fb.BuiltinOperator.PAD, inputs: [0, 1], outputs: [2] }]) },
  {
    name: 'PADV2',
    spec: model([T('x', [3, 4]), T('p', [2, 2], I32, ints([1, 0, 2, 1])), T('v', [], F, Float32Array.from([-2.5])), T('y', [4, 7])], [{ op: fb.BuiltinOperator.PADV2, inputs: [0, 1, 2], outputs: [3] }]),
  },
  {
    name: 'MIRROR_PAD reflect',
    spec: model([T('x', [1, 4, 5, 2]), T('p', [4, 2], I32, ints([0, 0, 2, 1, 1, 3, 0, 0])), T('y', [1, 7, 9, 2])],
      [{ op: fb.BuiltinOperator.MIRROR_PAD, inputs: [0, 1], outputs: [2], options: [O.MirrorPadOptions, (b) => fb.MirrorPadOptions.createMirrorPadOptions(b, fb.MirrorPadMode.REFLECT)] }]),
  },
  { name: 'TILE', spec: model([T('x', [2, 3]), T('m', [2], I32, ints([2, 3])), T('y', [4, 9])], [{ op: fb.BuiltinOperator.TILE, inputs: [0, 1], outputs: [2] }]) },
  {
    name: 'BROADCAST_TO',
    spec: model([T('x', [3, 1]), T('s', [3], I32, ints([2, 3, 4])), T('b', [2, 3, 4]), T('z', [4]), T('y', [2, 3, 4])],
      [{ op: fb.BuiltinOperator.BROADCAST_TO, version: 2, inputs: [0, 1], outputs: [2] }, { op: fb.BuiltinOperator.ADD, inputs: [2, 3], outputs: [4] }]),
  },
  ...([[false, false], [true, false], [false, true]] as const).map(([align, half]): Case => ({
    name: `RESIZE_BILINEAR align_corners=${align} half_pixel=${half}`,
    spec: model([T('x', [1, 5, 4, 2]), T('s', [2], I32, ints([9, 7])), T('y', [1, 9, 7, 2])],
      [{ op: fb.BuiltinOperator.RESIZE_BILINEAR, version: half ? 3 : 1, inputs: [0, 1], outputs: [2], options: [O.ResizeBilinearOptions, (b) => fb.ResizeBilinearOptions.createResizeBilinearOptions(b, align, half)] }]),
  })),
  ...([[false, false], [true, false], [false, true]] as const).map(([align, half]): Case => ({
    name: `RESIZE_NEAREST_NEIGHBOR align_corners=${align} half_pixel=${half}`,
    spec: model([T('x', [1, 5, 4, 2]), T('s', [2], I32, ints([8, 9])), T('y', [1, 8, 9, 2])],
      [{ op: fb.BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, version: half ? 3 : 1, inputs: [0, 1], outputs: [2], options: [O.ResizeNearestNeighborOptions, (b) => fb.ResizeNearestNeighborOptions.createResizeNearestNeighborOptions(b, align, half)] }]),
  })),
  { name: 'DEPTH_TO_SPACE', spec: unary(fb.BuiltinOperator.DEPTH_TO_SPACE, [O.DepthToSpaceOptions, (b) => fb.DepthToSpaceOptions.createDepthToSpaceOptions(b, 2)], [1, 3, 2, 8], [1, 6, 4, 2]) },
  { name: 'SPACE_TO_DEPTH', spec: unary(fb.BuiltinOperator.SPACE_TO_DEPTH, [O.SpaceToDepthOptions, (b) => fb.SpaceToDepthOptions.createSpaceToDepthOptions(b, 2)], [1, 4, 6, 3], [1, 2, 3, 12]) },
  {
    name: 'SELECT',
    spec: model([T('ci', [2, 3], I32), T('c', [2, 3], B), T('a', [2, 3]), T('b', [2, 3]), T('y', [2, 3])],
      [{ op: fb.BuiltinOperator.CAST, inputs: [0], outputs: [1] }, { op: fb.BuiltinOperator.SELECT, inputs: [1, 2, 3], outputs: [4] }]),
  },
  { name: 'EMBEDDING_LOOKUP', spec: model([T('ids', [3], I32, ints([2, 0, 2])), T('p', [4, 5]), T('y', [3, 5])], [{ op: fb.BuiltinOperator.EMBEDDING_LOOKUP, inputs: [0, 1], outputs: [2] }]) },
  {
    name: 'TOPK_V2',
    spec: model([T('x', [3, 7]), T('k', [], I32, ints([3])), T('v', [3, 3]), T('i', [3, 3], I32)], [{ op: fb.BuiltinOperator.TOPK_V2, inputs: [0, 1], outputs: [2, 3] }]),
  },
  {
    // 40 random boxes in [0, 1]^2 (corners in either order) and scores: some suppressed by IoU,
    // some below the score threshold; the outputs are padded to max_output_size (12) with 0.
    name: 'NON_MAX_SUPPRESSION_V4',
    spec: model([T('boxes', [40, 4]), T('scores', [40]), T('max', [], I32, ints([12])), T('iou', [], F, Float32Array.from([0.3])),
      T('st', [], F, Float32Array.from([0.4])), T('sel', [12], I32), T('n', [], I32)],
    [{ op: fb.BuiltinOperator.NON_MAX_SUPPRESSION_V4, inputs: [0, 1, 2, 3, 4], outputs: [5, 6] }]),
    range: [0, 1],
  },
  {
    name: 'NON_MAX_SUPPRESSION_V5',
    spec: model([T('boxes', [40, 4]), T('scores', [40]), T('max', [], I32, ints([30])), T('iou', [], F, Float32Array.from([0.5])),
      T('st', [], F, Float32Array.from([0.2])), T('sigma', [], F, Float32Array.from([0])), T('sel', [30], I32), T('sc', [30]), T('n', [], I32)],
    [{ op: fb.BuiltinOperator.NON_MAX_SUPPRESSION_V5, inputs: [0, 1, 2, 3, 4, 5], outputs: [6, 7, 8] }]),
    range: [0, 1],
  },
  { name: 'REVERSE_V2', spec: model([T('x', [2, 3, 4]), T('a', [1], I32, ints([1])), T('y', [2, 3, 4])], [{ op: fb.BuiltinOperator.REVERSE_V2, inputs: [0, 1], outputs: [2] }]) },
  {
    name: 'FILL (run-time value)',
    spec: model([T('d', [2], I32, ints([2, 3])), T('v', []), T('f', [2, 3]), T('z', [2, 3]), T('y', [2, 3])],
      [{ op: fb.BuiltinOperator.FILL, inputs: [0, 1], outputs: [2] }, { op: fb.BuiltinOperator.ADD, inputs: [2, 3], outputs: [4] }]),
  },
  {
    // (A run-time start would make the output shape data-dependent, which the runtime does not plan.)
    name: 'RANGE',
    spec: model([T('s', [], I32, ints([-4])), T('l', [], I32, ints([20])), T('d', [], I32, ints([3])), T('r', [8], I32), T('z', [8], I32), T('y', [8], I32)],
      [{ op: fb.BuiltinOperator.RANGE, inputs: [0, 1, 2], outputs: [3] }, { op: fb.BuiltinOperator.ADD, inputs: [3, 4], outputs: [5] }]),
    range: [-3, 3],
  },
  {
    name: 'ONE_HOT axis -1 (indices -2..5 with depth 4)',
    spec: model([T('i', [4, 6], I32), T('d', [], I32, ints([4])), T('on', [], F, Float32Array.from([2.5])), T('off', [], F, Float32Array.from([-1])), T('y', [4, 6, 4])],
      [{ op: fb.BuiltinOperator.ONE_HOT, inputs: [0, 1, 2, 3], outputs: [4], options: [O.OneHotOptions, (b) => fb.OneHotOptions.createOneHotOptions(b, -1)] }]),
    range: [-2, 5],
  },
  {
    name: 'SPACE_TO_BATCH_ND with padding',
    spec: model([T('x', [1, 5, 4, 2]), T('b', [2], I32, ints([2, 2])), T('p', [2, 2], I32, ints([1, 0, 0, 2])), T('y', [4, 3, 3, 2])], [{ op: fb.BuiltinOperator.SPACE_TO_BATCH_ND, inputs: [0, 1, 2], outputs: [3] }]),
  },
  {
    name: 'BATCH_TO_SPACE_ND with crops',
    spec: model([T('x', [4, 3, 3, 2]), T('b', [2], I32, ints([2, 2])), T('c', [2, 2], I32, ints([1, 0, 0, 2])), T('y', [1, 5, 4, 2])], [{ op: fb.BuiltinOperator.BATCH_TO_SPACE_ND, inputs: [0, 1, 2], outputs: [3] }]),
  },
  {
    name: 'LOCAL_RESPONSE_NORMALIZATION',
    spec: unary(fb.BuiltinOperator.LOCAL_RESPONSE_NORMALIZATION, [O.LocalResponseNormalizationOptions, (b) => fb.LocalResponseNormalizationOptions.createLocalResponseNormalizationOptions(b, 2, 1.5, 0.3, 0.6)], [1, 3, 4, 7], [1, 3, 4, 7]),
  },
  // reductions
  { name: 'MEAN keep_dims', spec: reduceCase(fb.BuiltinOperator.MEAN, true, [1, 2], [2, 1, 1]) },
  { name: 'SUM', spec: reduceCase(fb.BuiltinOperator.SUM, false, [0, -1], [3]) },
  { name: 'REDUCE_MAX', spec: reduceCase(fb.BuiltinOperator.REDUCE_MAX, false, [1], [2, 4]) },
  { name: 'REDUCE_MIN', spec: reduceCase(fb.BuiltinOperator.REDUCE_MIN, true, [2], [2, 3, 1]) },
  { name: 'REDUCE_PROD', spec: reduceCase(fb.BuiltinOperator.REDUCE_PROD, false, [1], [2, 4]), range: [0.5, 1.5] },
  {
    name: 'ARG_MAX int32',
    spec: model([T('x', [2, 3, 5]), T('a', [1], I32, ints([2])), T('y', [2, 3], I32)], [{ op: fb.BuiltinOperator.ARG_MAX, inputs: [0, 1], outputs: [2], options: [O.ArgMaxOptions, (b) => fb.ArgMaxOptions.createArgMaxOptions(b, I32)] }]),
  },
  {
    name: 'ARG_MIN int64 (cast to int32: LiteRT.js returns no int64)',
    spec: model([T('x', [2, 3, 5]), T('a', [1], I32, ints([1])), T('i', [2, 5], I64), T('y', [2, 5], I32)],
      [{ op: fb.BuiltinOperator.ARG_MIN, inputs: [0, 1], outputs: [2], options: [O.ArgMinOptions, (b) => fb.ArgMinOptions.createArgMinOptions(b, I64)] }, { op: fb.BuiltinOperator.CAST, inputs: [2], outputs: [3] }]),
  },
  {
    name: 'CUMSUM exclusive reverse',
    spec: model([T('x', [2, 3, 4]), T('a', [], I32, ints([1])), T('y', [2, 3, 4])], [{ op: fb.BuiltinOperator.CUMSUM, inputs: [0, 1], outputs: [2], options: [O.CumsumOptions, (b) => fb.CumsumOptions.createCumsumOptions(b, true, true)] }]),
  },
  // weights stored as fp16 behind DEQUANTIZE (the MediaPipe pattern)
  ...[false, true].map((keepFp16): Case => ({
    name: `DEQUANTIZE fp16 constant${keepFp16 ? ' (keepFp16)' : ''}`,
    spec: model([T('x', [2, 4]), T('wh', [4], F16, Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x0001])), T('w', [4]), T('y', [2, 4])],
      [{ op: fb.BuiltinOperator.DEQUANTIZE, version: 3, inputs: [1], outputs: [2] }, { op: fb.BuiltinOperator.ADD, inputs: [0, 2], outputs: [3] }]),
    options: { keepFp16 },
  })),
];

const CUSTOM_CASES: Case[] = [
  {
    name: 'Convolution2DTransposeBias (MediaPipe)',
    spec: model([T('x', [1, 4, 5, 6]), T('w', [3, 2, 2, 6], F, randF([3, 2, 2, 6])), T('b', [3], F, randF([3])), T('y', [1, 8, 10, 3])],
      [{ op: 'Convolution2DTransposeBias', inputs: [0, 1, 2], outputs: [3], custom: new Uint8Array(Int32Array.from([1, 2, 2]).buffer) }]),
  },
  {
    // LiteRT runs this op in XNNPACK, which stores its own uint32 window index (x-major) in the float
    // indices tensor; Goldcrest writes MediaPipe's reference encoding (ky*kw+kx+0.1). The pooled
    // values are compared with LiteRT, the indices with core-ir's reference evaluator, and the
    // pool -> unpool round trip below with LiteRT.
    name: 'MaxPoolingWithArgmax2D (MediaPipe)',
    spec: model([T('x', [1, 6, 7, 3]), T('y', [1, 3, 4, 3]), T('i', [1, 3, 4, 3])], [{ op: 'MaxPoolingWithArgmax2D', inputs: [0], outputs: [1, 2], custom: poolParams(1, 2, 2) }]),
    compare: [0],
  },
  {
    // (LiteRT's XNNPACK path pools with stride = window; windows that overlap are not comparable.)
    name: 'MaxPoolingWithArgmax2D VALID 3x3 stride 3 (MediaPipe)',
    spec: model([T('x', [2, 7, 9, 2]), T('y', [2, 2, 3, 2]), T('i', [2, 2, 3, 2])], [{ op: 'MaxPoolingWithArgmax2D', inputs: [0], outputs: [1, 2], custom: poolParams(2, 3, 3) }]),
    compare: [0],
  },
  {
    name: 'MaxUnpooling2D (MediaPipe), after MaxPoolingWithArgmax2D',
    spec: model([T('x', [1, 6, 8, 3]), T('p', [1, 3, 4, 3]), T('i', [1, 3, 4, 3]), T('y', [1, 6, 8, 3])],
      [{ op: 'MaxPoolingWithArgmax2D', inputs: [0], outputs: [1, 2], custom: poolParams(1, 2, 2) }, { op: 'MaxUnpooling2D', inputs: [1, 2], outputs: [3], custom: poolParams(1, 2, 2) }]),
  },
];

function randomInput(t: TensorSpec, [lo, hi]: [number, number]): Tensor {
  const n = numel(t.shape);
  if (t.type === F) return new Tensor('float32', randF(t.shape, lo, hi), t.shape);
  if (t.type === I32) return new Tensor('int32', Int32Array.from({ length: n }, () => Math.round(lo + (hi - lo) * r())), t.shape);
  if (t.type === B) return new Tensor('bool', Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0)), t.shape);
  throw new Error(`no random input for type ${fb.TensorType[t.type]}`);
}

async function check(c: Case): Promise<void> {
  const bytes = buildTflite(c.spec);
  const inputs = c.spec.inputs.map((i) => randomInput(c.spec.tensors[i], c.range ?? [-1, 1]));
  const ref = await runLiteRt(bytes, inputs);
  // LiteRT.js leaves the outputs of an op it cannot resolve (an unknown custom op) at zero
  // without an error: an all-zero reference would let a zero result pass unchecked.
  const zeros = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>).every((v) => Number(v) === 0);
  expect(ref.every(zeros), `${c.name}: every LiteRT output is zero (an op LiteRT did not run?)`).toBe(false);
  const graph = await convert(bytes, { format: 'tflite', ...c.options });
  const session = await InferenceSession.create(graph);
  const out = await session.run(Object.fromEntries(session.inputNames.map((name, k) => [name, inputs[k]])));
  expect(session.outputNames).toEqual(c.spec.outputs.map((i) => c.spec.tensors[i].name));
  const expected = c.compare ? ref.map((t, k) => (c.compare!.includes(k) ? t : undefined)) : ref;
  if (c.compare) {
    const reference = runReference(graph, Object.fromEntries(session.inputNames.map((name, k) => [name, inputs[k]])));
    session.outputNames.forEach((name, k) => { expected[k] ??= reference[name]; });
  }
  session.outputNames.forEach((name, k) => {
    expect(out[name].dims, name).toEqual(expected[k]!.dims);
    expect(relErr(out[name], expected[k]!), name).toBeLessThan(c.tol ?? 1e-5);
  });
}

describe('TFLite builtin ops: Goldcrest vs LiteRT, one single-op model each', () => {
  for (const c of CASES) it(c.name, () => check(c), 30_000);

  it('covers every builtin in the op table with at least one case', () => {
    const tested = new Set(CASES.flatMap((c) => c.spec.ops.map((o) => fb.BuiltinOperator[o.op as number])));
    const missing = Object.keys(TFLITE_BUILTIN_OPS).filter((k) => !tested.has(k) && k !== 'QUANTIZE' && k !== 'DENSIFY');
    expect(missing).toEqual([]);
    expect(Object.keys(TFLITE_BUILTIN_OPS).length).toBeGreaterThanOrEqual(60);
  });
});

describe('MediaPipe custom ops: Goldcrest vs LiteRT', () => {
  for (const c of CUSTOM_CASES) it(c.name, () => check(c), 30_000);
  it('covers every custom op in the table', () => {
    const tested = new Set(CUSTOM_CASES.flatMap((c) => c.spec.ops.map((o) => o.op)));
    expect(Object.keys(TFLITE_CUSTOM_OPS).filter((k) => !tested.has(k))).toEqual([]);
  });
});

describe('TFLite op table', () => {
  it('maps onto declared core-ir ops and every entry has its README row', async () => {
    const { hasSchema } = await import('@goldcrest/core-ir');
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const [name, e] of [...Object.entries(TFLITE_BUILTIN_OPS), ...Object.entries(TFLITE_CUSTOM_OPS)]) {
      for (const op of e.to) if (!op.startsWith('(')) expect(hasSchema(op), `${name} -> ${op}`).toBe(true);
      expect(readme, name).toContain(`| ${name} |`);
    }
  });
});

describe('MaxUnpool2D kernel on arbitrary indices (runtime-native vs core-ir reference)', () => {
  it('negative, too large, fractional and NaN indices decode as MediaPipe does; targets outside are skipped', async () => {
    const { Graph } = await import('@goldcrest/core-ir');
    const g = new Graph();
    const x = g.addInput('x', 'float32', [2, 3, 4, 2]);
    const i = g.addInput('i', 'float32', [2, 3, 4, 2]);
    g.outputs.push(g.addNode('MaxUnpool2D', [x, i], [{ name: 'y', dtype: 'float32', shape: [2, 9, 12, 2] }], { kernel: [3, 3], strides: [2, 3], pads: [1, 0] }).outputs[0]);
    const feeds = {
      x: new Tensor('float32', randF([2, 3, 4, 2], 1, 2), [2, 3, 4, 2]),
      i: new Tensor('float32', Float32Array.from({ length: 48 }, (_, k) => (k % 11 === 0 ? NaN : -4 + 15 * r())), [2, 3, 4, 2]),
    };
    const session = await InferenceSession.create(g);
    const out = await session.run(feeds);
    const ref = runReference(g, feeds);
    expect(Array.from(out.y.data as Float32Array)).toEqual(Array.from(ref.y.data as Float32Array));
  });
});
