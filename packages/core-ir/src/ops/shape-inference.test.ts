// Shape and dtype inference of every op schema, against hand-computed shapes.
import { describe, expect, it } from 'vitest';
import type { DType } from '../dtype.js';
import { GoldcrestError } from '../errors.js';
import { Graph, type Attrs, type Value } from '../graph.js';
import { inferShapes } from '../infer.js';
import type { Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { samePads } from './nn.js';

type In = { shape?: Shape; dtype?: DType } | Tensor | null;

/** Builds a one-node graph (inputs, or constants for Tensors), runs inference, returns the first output. */
function infer(op: string, inputs: In[], attrs: Attrs = {}, name = 'n1'): { dtype: DType; shape: Shape | undefined } {
  const g = new Graph('t');
  const vals: (Value | null)[] = inputs.map((x, i) => {
    if (x === null) return null;
    if (x instanceof Tensor) return g.addConstant(`c${i}`, x);
    return x.shape ? g.addInput(`in${i}`, x.dtype ?? 'float32', x.shape) : g.addValue(`in${i}`, x.dtype ?? 'float32');
  });
  const node = g.addNode(op, vals, [{ name: 'out', dtype: 'float32' }], attrs, { name });
  inferShapes(g);
  return { dtype: node.outputs[0].dtype, shape: node.outputs[0].shape };
}
const shapeOf = (op: string, inputs: In[], attrs: Attrs = {}) => infer(op, inputs, attrs).shape;
const f32 = (shape: Shape) => ({ shape });
const i64 = (vals: number[]) => new Tensor('int64', vals.map(BigInt), [vals.length]);

/** Asserts a GoldcrestError with `code` whose message matches `re`. */
function expectError(fn: () => unknown, code: string, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GoldcrestError);
    expect((e as GoldcrestError).code).toBe(code);
    expect((e as Error).message).toMatch(re);
    return;
  }
  throw new Error(`expected ${code}, nothing thrown`);
}

describe('Conv2D', () => {
  it('NCHW with pads and strides', () => {
    // (48 + 1 + 1 - 3) / 2 + 1 = 24, (192 + 2 - 3) / 2 + 1 = 96
    expect(shapeOf('Conv2D', [f32([1, 3, 48, 192]), f32([8, 3, 3, 3])], { pads: [1, 1, 1, 1], strides: [2, 2] })).toEqual([1, 8, 24, 96]);
  });

  it('NHWC with weights [O, KH, KW, I/g] and a non-square kernel', () => {
    // H: (48 - 3) + 1 = 46, W: (192 - 5) + 1 = 188
    expect(shapeOf('Conv2D', [f32([1, 48, 192, 3]), f32([8, 3, 5, 3])], { layout: 'NHWC' })).toEqual([1, 46, 188, 8]);
  });

  it('SAME_UPPER / SAME_LOWER give ceil(in / stride) and split odd padding the documented way', () => {
    expect(shapeOf('Conv2D', [f32([1, 3, 7, 10]), f32([8, 3, 3, 3])], { autoPad: 'SAME_UPPER', strides: [2, 2] })).toEqual([1, 8, 4, 5]);
    expect(shapeOf('Conv2D', [f32([1, 7, 10, 3]), f32([8, 3, 3, 3])], { autoPad: 'SAME_LOWER', strides: [2, 2], layout: 'NHWC' })).toEqual([1, 4, 5, 8]);
    // total = (out - 1) * stride + k - in: H 3*2+3-7 = 2, W 4*2+3-10 = 1 (extra goes after for UPPER, before for LOWER)
    expect(samePads(7, 3, 2, 1, true)).toEqual([1, 1]);
    expect(samePads(10, 3, 2, 1, true)).toEqual([0, 1]);
    expect(samePads(10, 3, 2, 1, false)).toEqual([1, 0]);
    expect(samePads(4, 1, 1, 1, true)).toEqual([0, 0]);
  });

  it('VALID ignores pads; dilation widens the window', () => {
    expect(shapeOf('Conv2D', [f32([1, 1, 10, 10]), f32([1, 1, 3, 3])], { autoPad: 'VALID', pads: [5, 5, 5, 5] })).toEqual([1, 1, 8, 8]);
    // effective kernel (3 - 1) * 2 + 1 = 5: 10 - 5 + 1 = 6
    expect(shapeOf('Conv2D', [f32([1, 1, 10, 10]), f32([1, 1, 3, 3])], { dilations: [2, 2] })).toEqual([1, 1, 6, 6]);
  });

  it('groups: depthwise and grouped channels, and a channel mismatch names the node', () => {
    expect(shapeOf('Conv2D', [f32([1, 16, 10, 10]), f32([16, 1, 3, 3])], { group: 16 })).toEqual([1, 16, 8, 8]);
    expect(shapeOf('Conv2D', [f32([1, 5, 5, 8]), f32([4, 1, 1, 2])], { group: 4, layout: 'NHWC' })).toEqual([1, 5, 5, 4]);
    expectError(() => infer('Conv2D', [f32([1, 8, 5, 5]), f32([4, 3, 1, 1])], { group: 4 }, 'conv1'), 'E_SHAPE', /node 'conv1' \(Conv2D\): input has 8 channels but weight \[4,3,1,1\] with group 4 expects 12/);
  });

  it('keeps symbolic batch and derives symbolic spatial dims', () => {
    expect(shapeOf('Conv2D', [f32(['N', 3, 'H', 'W']), f32([8, 3, 3, 3])])).toEqual(['N', 8, 'H/k3s1d1p0,0', 'W/k3s1d1p0,0']);
    expect(shapeOf('Conv2D', [f32(['N', 3, 32, 32]), f32([8, 3, 3, 3]), f32([8])], { pads: [1, 1, 1, 1] })).toEqual(['N', 8, 32, 32]);
  });

  it('rejects wrong ranks, windows that do not fit and integer inputs', () => {
    expectError(() => infer('Conv2D', [f32([3, 8, 8]), f32([8, 3, 3, 3])], {}, 'c'), 'E_SHAPE', /node 'c' \(Conv2D\): input 0 has rank 3/);
    expectError(() => infer('Conv2D', [f32([1, 1, 2, 2]), f32([1, 1, 3, 3])], {}, 'c'), 'E_SHAPE', /node 'c' \(Conv2D\): window 3x3 does not fit/);
    expectError(() => infer('Conv2D', [{ shape: [1, 1, 4, 4], dtype: 'int32' }, f32([1, 1, 3, 3])], {}, 'c'), 'E_DTYPE', /node 'c' \(Conv2D\): input 0 has dtype int32/);
  });
});

describe('pools, BatchNorm, Softmax', () => {
  it('MaxPool2D with pads and strides, floor and ceil mode', () => {
    // (24 + 2 - 3) / 2 + 1 = 12 (floor), (96 + 2 - 3) / 2 + 1 = 48
    expect(shapeOf('MaxPool2D', [f32([1, 8, 24, 96])], { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })).toEqual([1, 8, 12, 48]);
    expect(shapeOf('MaxPool2D', [f32([1, 1, 6, 5])], { kernel: [2, 2], strides: [2, 2] })).toEqual([1, 1, 3, 2]);
    expect(shapeOf('MaxPool2D', [f32([1, 1, 6, 5])], { kernel: [2, 2], strides: [2, 2], ceilMode: true })).toEqual([1, 1, 3, 3]);
    expectError(() => infer('MaxPool2D', [f32([1, 1, 4, 4])], {}, 'p'), 'E_ATTR', /node 'p' \(MaxPool2D\): required attribute 'kernel' is missing/);
  });

  it('AveragePool2D NHWC and GlobalAveragePool in both layouts', () => {
    expect(shapeOf('AveragePool2D', [f32([1, 10, 10, 4])], { kernel: [2, 2], strides: [2, 2], layout: 'NHWC' })).toEqual([1, 5, 5, 4]);
    expect(shapeOf('GlobalAveragePool', [f32([2, 16, 7, 7])])).toEqual([2, 16, 1, 1]);
    expect(shapeOf('GlobalAveragePool', [f32([2, 7, 7, 16])], { layout: 'NHWC' })).toEqual([2, 1, 1, 16]);
  });

  it('BatchNorm and activations keep the shape; Softmax checks its axis', () => {
    expect(shapeOf('BatchNorm', [f32([1, 4, 3, 3]), f32([4]), f32([4]), f32([4]), f32([4])])).toEqual([1, 4, 3, 3]);
    for (const op of ['Relu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Clip']) expect(shapeOf(op, [f32(['N', 7])])).toEqual(['N', 7]);
    expect(shapeOf('Softmax', [f32([2, 5])], { axis: 1 })).toEqual([2, 5]);
    expectError(() => infer('Softmax', [f32([2, 5])], { axis: 2 }, 'sm'), 'E_SHAPE', /node 'sm' \(Softmax\): axis 2 is out of range for rank 2/);
  });
});

describe('MatMul', () => {
  it('2-D, batched with broadcasting, and 1-D operands', () => {
    expect(shapeOf('MatMul', [f32([2, 3]), f32([3, 4])])).toEqual([2, 4]);
    expect(shapeOf('MatMul', [f32([5, 1, 2, 3]), f32([4, 3, 6])])).toEqual([5, 4, 2, 6]);
    expect(shapeOf('MatMul', [f32([3]), f32([3, 4])])).toEqual([4]);
    expect(shapeOf('MatMul', [f32([7, 2, 3]), f32([3])])).toEqual([7, 2]);
    expect(shapeOf('MatMul', [f32([3]), f32([3])])).toEqual([]);
    expect(shapeOf('MatMul', [f32(['N', 3]), f32([3, 4]), f32([4])], { activation: 'relu' })).toEqual(['N', 4]);
  });

  it('names the node on inner-dim and batch-dim mismatches', () => {
    expectError(() => infer('MatMul', [f32([2, 3]), f32([4, 5])], {}, 'fc'), 'E_SHAPE', /node 'fc' \(MatMul\): inner dims differ: A \[2,3\] vs B \[4,5\]/);
    expectError(() => infer('MatMul', [f32([2, 2, 3]), f32([3, 3, 4])], {}, 'fc'), 'E_SHAPE', /node 'fc' \(MatMul\): cannot broadcast \[2\] with \[3\]/);
  });
});

describe('elementwise broadcasting', () => {
  it('numpy rules, with symbols broadcasting against 1', () => {
    expect(shapeOf('Add', [f32([2, 1, 4]), f32([3, 1])])).toEqual([2, 3, 4]);
    expect(shapeOf('Mul', [f32(['N', 1]), f32([1, 5])])).toEqual(['N', 5]);
    expect(shapeOf('Div', [f32([]), f32([4])])).toEqual([4]);
  });

  it('errors name the node, the shapes and the dim', () => {
    expectError(() => infer('Add', [f32([2, 3]), f32([4, 3])], {}, 'add7'), 'E_SHAPE', /node 'add7' \(Add\): cannot broadcast \[2,3\] with \[4,3\] \(dim 0: 2 vs 4\)/);
    expectError(() => infer('Sub', [f32([2]), { shape: [2], dtype: 'int32' }], {}, 's'), 'E_DTYPE', /node 's' \(Sub\): inputs have dtypes float32 and int32/);
  });
});

describe('tensor ops', () => {
  it('Reshape with 0 (copy), -1 (infer), allowzero and symbolic inputs', () => {
    expect(shapeOf('Reshape', [f32([2, 3, 4]), i64([0, -1])])).toEqual([2, 12]);
    expect(shapeOf('Reshape', [f32([2, 3, 4]), i64([-1])])).toEqual([24]);
    expect(shapeOf('Reshape', [f32([2, 3, 4]), i64([-1, 0])])).toEqual([8, 3]);
    expect(shapeOf('Reshape', [f32([0, 3]), i64([3, 0])], { allowzero: true })).toEqual([3, 0]);
    expect(shapeOf('Reshape', [f32(['N', 3, 4]), i64([0, 12])])).toEqual(['N', 12]);
    expect(shapeOf('Reshape', [f32([2, 3]), f32([2])])).toBeUndefined(); // target not constant
    expectError(() => infer('Reshape', [f32([2, 3, 4]), i64([-1, -1])], {}, 'r'), 'E_SHAPE', /node 'r' \(Reshape\): reshape target \[-1,-1\] has more than one -1/);
    expectError(() => infer('Reshape', [f32([2, 3, 4]), i64([5, -1])], {}, 'r'), 'E_SHAPE', /node 'r' \(Reshape\): cannot reshape \[2,3,4\] to \[5,-1\]/);
    expectError(() => infer('Reshape', [f32([2, 3]), i64([4, 2])], {}, 'r'), 'E_SHAPE', /cannot reshape \[2,3\] \(6 elements\)/);
  });

  it('Slice: negative steps, negative starts/ends, clamping and symbolic dims', () => {
    // starts 8, ends 2, step -2 on 10: 8, 6, 4
    expect(shapeOf('Slice', [f32([10, 20]), i64([8]), i64([2]), i64([0]), i64([-2])])).toEqual([3, 20]);
    // full reverse: start -1 -> 9, end clamped to -1 (exclusive), step -1: 10 elements
    expect(shapeOf('Slice', [f32([10, 20]), i64([-1]), i64([-1000]), i64([1]), i64([-1])])).toEqual([10, 20]);
    // ends past the dim clamp; default axes are 0..n-1
    expect(shapeOf('Slice', [f32([10, 20]), i64([2, 5]), i64([2 ** 31 - 1, -5])])).toEqual([8, 10]);
    expect(shapeOf('Slice', [f32([10, 20]), i64([5]), i64([2]), i64([0])])).toEqual([0, 20]);
    expect(shapeOf('Slice', [f32(['N', 20]), i64([1, 0]), i64([3, 4]), i64([0, 1])])).toEqual(['N[1:3:1]', 4]);
    expect(shapeOf('Slice', [f32([10]), f32([1]), i64([2])])).toBeUndefined(); // non-constant starts
    expectError(() => infer('Slice', [f32([10]), i64([0]), i64([5]), i64([0]), i64([0])], {}, 'sl'), 'E_SHAPE', /node 'sl' \(Slice\): slice step is 0 on axis 0/);
    expectError(() => infer('Slice', [f32([10]), i64([0]), i64([5]), i64([3])], {}, 'sl'), 'E_SHAPE', /node 'sl' \(Slice\): axis 3 is out of range for rank 1/);
  });

  it('Concat sums the axis (negative axes too) and checks ranks and dtypes', () => {
    expect(shapeOf('Concat', [f32([2, 3]), f32([2, 5]), f32([2, 1])], { axis: 1 })).toEqual([2, 9]);
    expect(shapeOf('Concat', [f32([2, 3]), f32([4, 3])], { axis: -2 })).toEqual([6, 3]);
    expect(shapeOf('Concat', [f32(['N', 3]), f32([2, 3])], { axis: 0 })).toEqual(['n1_concat', 3]);
    expectError(() => infer('Concat', [f32([2, 3]), f32([2])], { axis: 0 }, 'cat'), 'E_SHAPE', /node 'cat' \(Concat\): input 1 has rank 1, expected 2/);
    expectError(() => infer('Concat', [f32([2]), { shape: [2], dtype: 'int64' }], { axis: 0 }, 'cat'), 'E_DTYPE', /node 'cat' \(Concat\): inputs have different dtypes/);
  });

  it('Gather replaces the axis with the indices shape', () => {
    expect(shapeOf('Gather', [f32([5, 4, 3]), { shape: [2, 6], dtype: 'int64' }], { axis: 1 })).toEqual([5, 2, 6, 3]);
    expect(shapeOf('Gather', [f32([5, 4, 3]), { shape: [], dtype: 'int64' }])).toEqual([4, 3]);
    expect(shapeOf('Gather', [f32([5, 4, 3]), { shape: [7], dtype: 'int32' }], { axis: -1 })).toEqual([5, 4, 7]);
  });

  it('Squeeze / Unsqueeze with empty, negative and explicit axes', () => {
    expect(shapeOf('Squeeze', [f32([1, 3, 1, 5])])).toEqual([3, 5]);
    expect(shapeOf('Squeeze', [f32([1, 3, 1, 5])], { axes: [0] })).toEqual([3, 1, 5]);
    expect(shapeOf('Squeeze', [f32([1, 3, 1, 5])], { axes: [-2] })).toEqual([1, 3, 5]);
    expectError(() => infer('Squeeze', [f32([1, 3])], { axes: [1] }, 'sq'), 'E_SHAPE', /node 'sq' \(Squeeze\): cannot squeeze axis 1 of size 3/);
    expect(shapeOf('Unsqueeze', [f32([3, 5])], { axes: [0, -1] })).toEqual([1, 3, 5, 1]);
    expect(shapeOf('Unsqueeze', [f32([])], { axes: [0] })).toEqual([1]);
    expectError(() => infer('Unsqueeze', [f32([3])], { axes: [5] }, 'us'), 'E_SHAPE', /node 'us' \(Unsqueeze\): axis 5 is out of range for rank 2/);
  });

  it('Transpose with a perm, the default reversal, and a bad perm', () => {
    expect(shapeOf('Transpose', [f32([2, 3, 4])], { perm: [2, 0, 1] })).toEqual([4, 2, 3]);
    expect(shapeOf('Transpose', [f32(['N', 3, 4])])).toEqual([4, 3, 'N']);
    expectError(() => infer('Transpose', [f32([2, 3])], { perm: [0, 0] }, 'tr'), 'E_SHAPE', /node 'tr' \(Transpose\): perm \[0,0\] is not a permutation of rank 2/);
  });

  it('Shape, Cast, Flatten, Identity', () => {
    expect(infer('Shape', [f32([2, 3, 4, 5])], { start: 1, end: -1 })).toEqual({ dtype: 'int64', shape: [2] });
    expect(infer('Shape', [f32([2, 3])])).toEqual({ dtype: 'int64', shape: [2] });
    expect(infer('Cast', [f32(['N', 2])], { to: 'int64' })).toEqual({ dtype: 'int64', shape: ['N', 2] });
    expect(shapeOf('Flatten', [f32([2, 3, 4])], { axis: 2 })).toEqual([6, 4]);
    expect(shapeOf('Flatten', [f32([2, 3, 4])], { axis: 0 })).toEqual([1, 24]);
    expect(infer('Identity', [{ shape: [3], dtype: 'uint8' }])).toEqual({ dtype: 'uint8', shape: [3] });
  });
});
