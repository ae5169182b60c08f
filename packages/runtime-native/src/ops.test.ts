// Every kernel on hand-built NHWC graphs, against core-ir's scalar reference evaluators, for each
// ISA this machine has (others are reported as skipped). Shapes straddle tile sizes.
import { describe, expect, it } from 'vitest';
import { type Attrs, type DType, Graph, Tensor, type Value, maxRelDiff as relError, runReference as referenceRun } from '@goldcrest/core-ir';
import { InferenceSession } from './session.js';
import { isaMatrix, randomTensor } from './test-utils.js';

interface Case { graph: Graph; feeds: Record<string, Tensor>; tol?: number }

/** One-node graph: inputs are feeds (dims) or constants (Tensor). */
function single(op: string, ins: (number[] | Tensor | null)[], attrs: Attrs = {}, dtype: DType = 'float32'): Case {
  const g = new Graph();
  const feeds: Record<string, Tensor> = {};
  const vals = ins.map((x, i): Value | null => {
    if (x === null) return null;
    if (x instanceof Tensor) return g.addConstant(`c${i}`, x);
    const v = g.addInput(`in${i}`, dtype, x);
    feeds[v.name] = randomTensor(x, 100 + i, -3, 3);
    return v;
  });
  const n = g.addNode(op, vals, [{ name: 'y', dtype }], attrs);
  g.outputs.push(n.outputs[0]);
  return { graph: g, feeds };
}

const rt = (dims: number[], seed: number) => randomTensor(dims, seed);

/** conv(x) + other: fused into the GEMM epilogue when the conv has no activation and is not depthwise. */
function convAdd(xDims: number[], w: Tensor, attrs: Attrs, otherIsInput: boolean): Case {
  const g = new Graph();
  const x = g.addInput('x', 'float32', xDims);
  const c = g.addNode('Conv2D', [x, g.addConstant('w', w), g.addConstant('b', rt([w.dims[0]], 50))], [{ name: 'c', dtype: 'float32' }], { layout: 'NHWC', ...attrs }).outputs[0];
  const feeds: Record<string, Tensor> = { x: randomTensor(xDims, 51) };
  const other = otherIsInput ? x : g.addNode('Sigmoid', [x], [{ name: 's', dtype: 'float32' }]).outputs[0];
  const y = g.addNode('Add', [other, c], [{ name: 'y', dtype: 'float32' }]).outputs[0];
  g.outputs.push(g.addNode('Relu', [y], [{ name: 'z', dtype: 'float32' }]).outputs[0]);
  return { graph: g, feeds };
}

const CASES: Record<string, () => Case> = {
  'conv 1x1 + residual add (fused)': () => convAdd([2, 6, 5, 24], rt([24, 1, 1, 24], 52), {}, true),
  'conv 3x3 + residual add of an earlier value (fused, im2col)': () => convAdd([1, 9, 7, 16], rt([16, 3, 3, 16], 53), { pads: [1, 1, 1, 1] }, false),
  'grouped conv + residual add (fused)': () => convAdd([1, 5, 5, 8], rt([8, 3, 3, 4], 54), { pads: [1, 1, 1, 1], group: 2 }, true),
  'conv with relu + add (not fused)': () => convAdd([1, 6, 6, 8], rt([8, 1, 1, 8], 55), { activation: 'relu' }, true),
  'depthwise + add (not fused)': () => convAdd([1, 6, 6, 8], rt([8, 3, 3, 1], 56), { group: 8, pads: [1, 1, 1, 1] }, true),
  'conv 1x1 direct GEMM, bias, relu6': () =>
    single('Conv2D', [[2, 5, 7, 19], rt([37, 1, 1, 19], 1), rt([37], 2)], { layout: 'NHWC', activation: 'relu6' }),
  'conv 3x3 stride 2 pad 1, hardswish (im2col)': () =>
    single('Conv2D', [[1, 13, 11, 5], rt([70, 3, 3, 5], 3), rt([70], 4)], { layout: 'NHWC', strides: [2, 2], pads: [1, 1, 1, 1], activation: 'hardswish' }),
  'conv 3x3 dilation 2 SAME_UPPER, no bias, sigmoid': () =>
    single('Conv2D', [[1, 9, 10, 6], rt([9, 3, 3, 6], 5)], { layout: 'NHWC', dilations: [2, 2], autoPad: 'SAME_UPPER', activation: 'sigmoid' }),
  'conv asymmetric pads, clip': () =>
    single('Conv2D', [[1, 8, 8, 3], rt([16, 2, 3, 3], 6), rt([16], 7)], { layout: 'NHWC', pads: [0, 1, 1, 2], activation: 'clip', activationParams: [-0.5, 0.7] }),
  'conv large (many row tiles)': () =>
    single('Conv2D', [[1, 33, 31, 16], rt([24, 3, 3, 16], 8), rt([24], 9)], { layout: 'NHWC', pads: [1, 1, 1, 1], activation: 'relu' }),
  'conv 3x3 pad 1, 20 channels (wide taps at borders)': () =>
    single('Conv2D', [[1, 7, 9, 20], rt([10, 3, 3, 20], 22)], { layout: 'NHWC', pads: [1, 1, 1, 1] }),
  'conv 1x1 stride 2 (im2col path)': () =>
    single('Conv2D', [[1, 9, 9, 8], rt([12, 1, 1, 8], 10)], { layout: 'NHWC', strides: [2, 2] }),
  'depthwise 3x3 pad 1, clip': () =>
    single('Conv2D', [[1, 10, 9, 33], rt([33, 3, 3, 1], 11), rt([33], 12)], { layout: 'NHWC', group: 33, pads: [1, 1, 1, 1], activation: 'clip', activationParams: [-0.5, 0.5] }),
  'depthwise 5x5 stride 2, hardsigmoid': () =>
    single('Conv2D', [[2, 11, 12, 17], rt([17, 5, 5, 1], 13), rt([17], 14)], { layout: 'NHWC', group: 17, strides: [2, 2], pads: [2, 2, 2, 2], activation: 'hardsigmoid', activationParams: [0.2, 0.5] }),
  'grouped conv 3x3, group 4': () =>
    single('Conv2D', [[1, 7, 6, 8], rt([12, 3, 3, 2], 15), rt([12], 16)], { layout: 'NHWC', group: 4, pads: [1, 1, 1, 1], activation: 'relu' }),
  'grouped conv 1x1, group 2 (direct, strided A)': () =>
    single('Conv2D', [[1, 5, 5, 10], rt([6, 1, 1, 5], 17)], { layout: 'NHWC', group: 2 }),
  'matmul constant B + bias + relu': () => single('MatMul', [[3, 5, 37], rt([37, 45], 18), rt([45], 19)], { activation: 'relu' }),
  'matmul M=1, wide N (parallel over column panels)': () => single('MatMul', [[1, 200], rt([200, 700], 23), rt([700], 24)], { activation: 'hardswish' }),
  'matmul runtime B, large (per-run packing, parallel)': () => single('MatMul', [[2, 64, 96], [2, 96, 80]]),
  'conv 1x1 direct, large (parallel row tiles)': () => single('Conv2D', [[1, 40, 40, 24], rt([48, 1, 1, 24], 25), rt([48], 26)], { layout: 'NHWC', activation: 'relu' }),
  'matmul runtime B, broadcast batch': () => single('MatMul', [[2, 1, 4, 6], [3, 6, 5]]),
  'matmul rank-1 A': () => single('MatMul', [[6], rt([6, 4], 20)]),
  'matmul rank-1 B': () => single('MatMul', [[2, 3, 6], rt([6], 21)]),
  'add broadcast last dim': () => single('Add', [[2, 3, 4, 5], [5]]),
  'sub broadcast both ways': () => single('Sub', [[2, 1, 4, 1], [3, 1, 5]]),
  'mul by scalar constant': () => single('Mul', [[3, 7], new Tensor('float32', [2.5], [])]),
  'div by column (SV/VS)': () => single('Div', [new Tensor('float32', [1.5], [1]), [4, 5]]),
  'mul N11C row tiled (SE block), broadcast first operand': () => single('Mul', [[1, 1, 1, 24], [1, 30, 20, 24]]),
  'sub row tiled, big (parallel)': () => single('Sub', [[1, 64, 64, 16], [16]]),
  'div broadcast NHWC by N11C': () => single('Div', [[1, 6, 7, 9], [1, 1, 1, 9]]),
  'add big same shape (parallel)': () => single('Add', [[64, 1024], [64, 1024]]),
  'mul big broadcast inner split': () => single('Mul', [[2, 40000], [2, 1]]),
  relu: () => single('Relu', [[3, 7, 11]]),
  sigmoid: () => single('Sigmoid', [[3, 7, 11]]),
  tanh: () => single('Tanh', [[3, 7, 11]]),
  hardsigmoid: () => single('HardSigmoid', [[3, 7, 11]], { alpha: 0.3, beta: 0.4 }),
  hardswish: () => single('HardSwish', [[3, 7, 11]]),
  clip: () => single('Clip', [[3, 7, 11]], { min: -1, max: 0.5 }),
  'unary big (parallel chunks)': () => single('Sigmoid', [[5, 10000]]),
  'batchnorm NHWC': () =>
    single('BatchNorm', [[2, 3, 4, 6], rt([6], 60), rt([6], 61), rt([6], 62), randomTensor([6], 63, 0.2, 2)], { layout: 'NHWC', epsilon: 1e-3 }),
  'maxpool 3x3 s2 p1': () => single('MaxPool2D', [[2, 9, 10, 7]], { layout: 'NHWC', kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
  'maxpool ceil mode': () => single('MaxPool2D', [[1, 8, 8, 5]], { layout: 'NHWC', kernel: [3, 3], strides: [2, 2], ceilMode: true }),
  'avgpool exclude pad': () => single('AveragePool2D', [[1, 7, 8, 6]], { layout: 'NHWC', kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
  'avgpool include pad': () => single('AveragePool2D', [[1, 7, 8, 6]], { layout: 'NHWC', kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad: true }),
  'global avgpool small': () => single('GlobalAveragePool', [[2, 3, 5, 7]], { layout: 'NHWC' }),
  'global avgpool big (channel split)': () => single('GlobalAveragePool', [[1, 16, 16, 300]], { layout: 'NHWC' }),
  'softmax last axis': () => single('Softmax', [[4, 10]], { axis: -1 }),
  'softmax middle axis': () => single('Softmax', [[2, 5, 3]], { axis: 1 }),
  'transpose NHWC->NCHW': () => single('Transpose', [[2, 3, 4, 5]], { perm: [0, 3, 1, 2] }),
  'transpose rank 6': () => single('Transpose', [[2, 1, 3, 2, 2, 3]], { perm: [5, 3, 1, 0, 4, 2] }),
  'transpose NCHW->NHWC few channels (blocked)': () => single('Transpose', [[2, 3, 20, 30]], { perm: [0, 2, 3, 1] }),
  'transpose [B, C, N] -> [B, N, C] with small C (blocked)': () => single('Transpose', [[4, 6, 100]], { perm: [0, 2, 1] }),
  'transpose big (parallel)': () => single('Transpose', [[1, 64, 64, 32]], { perm: [0, 3, 1, 2] }),
  'concat axis 1': () => {
    const g = new Graph();
    const a = g.addInput('a', 'float32', [2, 3, 4]);
    const b = g.addInput('b', 'float32', [2, 1, 4]);
    const c = g.addConstant('c', rt([2, 2, 4], 30));
    g.outputs.push(g.addNode('Concat', [a, b, c], [{ name: 'y', dtype: 'float32' }], { axis: 1 }).outputs[0]);
    return { graph: g, feeds: { a: rt([2, 3, 4], 31), b: rt([2, 1, 4], 32) } };
  },
  'slice with negative step': () => {
    const i64 = (v: number[]) => new Tensor('int64', v.map(BigInt), [v.length]);
    return single('Slice', [[4, 6, 5], i64([-1, 1]), i64([-10, 5]), i64([1, 2]), i64([-2, 1])]);
  },
  'gather runtime int64 indices, axis 1': () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [3, 5, 2]);
    const idx = g.addInput('idx', 'int64', [2, 2]);
    g.outputs.push(g.addNode('Gather', [x, idx], [{ name: 'y', dtype: 'float32' }], { axis: 1 }).outputs[0]);
    return { graph: g, feeds: { x: rt([3, 5, 2], 33), idx: new Tensor('int64', [0n, -1n, 3n, 2n], [2, 2]) } };
  },
  'reshape/flatten/squeeze aliases around compute': () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [2, 3, 4]);
    const r = g.addNode('Reshape', [x, g.addConstant('s', new Tensor('int64', [6n, -1n], [2]))], [{ name: 'r', dtype: 'float32' }]).outputs[0];
    const a = g.addNode('Relu', [r], [{ name: 'a', dtype: 'float32' }]).outputs[0];
    const u = g.addNode('Unsqueeze', [a], [{ name: 'u', dtype: 'float32' }], { axes: [0] }).outputs[0];
    const f = g.addNode('Flatten', [u], [{ name: 'f', dtype: 'float32' }], { axis: 2 }).outputs[0];
    const y = g.addNode('Add', [f, r], [{ name: 'y', dtype: 'float32' }]).outputs[0];
    g.outputs.push(y, r);
    return { graph: g, feeds: { x: rt([2, 3, 4], 34) } };
  },
  'transpose int64 [1, 3, 70] -> [1, 70, 3] (blocked, 8-byte elements)': () => {
    const g = new Graph();
    const x = g.addInput('x', 'int64', [1, 3, 70]);
    g.outputs.push(g.addNode('Transpose', [x], [{ name: 'y', dtype: 'int64' }], { perm: [0, 2, 1] }).outputs[0]);
    return { graph: g, feeds: { x: new Tensor('int64', BigInt64Array.from({ length: 210 }, (_, i) => BigInt(i * 7 - 500)), [1, 3, 70]) } };
  },
  'cast float32 -> int32': () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [3, 4]);
    g.outputs.push(g.addNode('Cast', [x], [{ name: 'y', dtype: 'int32' }], { to: 'int32' }).outputs[0]);
    return { graph: g, feeds: { x: randomTensor([3, 4], 35, -50, 50) } };
  },
};

describe('kernels vs scalar JS reference', () => {
  for (const { isa, available } of isaMatrix()) {
    describe(`isa ${isa}`, () => {
      for (const [name, make] of Object.entries(CASES)) {
        it.skipIf(!available)(name, async () => {
          const { graph, feeds, tol } = make();
          const ref = referenceRun(graph, feeds);
          const session = await InferenceSession.create(graph, { isa, threads: 2 });
          const out = await session.run(feeds);
          for (const o of graph.outputs) {
            expect(out[o.name].type).toBe(ref[o.name].type);
            expect(relError(out[o.name], ref[o.name])).toBeLessThanOrEqual(tol ?? 2e-5);
          }
          await session.release();
        });
      }
    });
  }
});
