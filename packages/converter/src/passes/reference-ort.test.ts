// core-ir's scalar reference `evaluate` (Conv2D, pools, GAP, MatMul, Softmax) against
// onnxruntime-node on tiny one-node ONNX models. The reference is what constant folding and every
// pass test trust, so it is checked against an independent implementation here.
import { type Attrs, Tensor, getSchema } from '@goldcrest/core-ir';
import { describe, expect, it } from 'vitest';
import { type AttrInit, buildModel, runOrt } from '../onnx/testing.js';
import { maxRelDiff, randomTensor, rng } from './testing.js';
import { TO_NCHW, TO_NHWC, transposeTensor } from './to-nhwc.js';

const rand = rng(2024);

/** Our op with schema defaults filled in. */
function ours(op: string, ins: (Tensor | undefined)[], attrs: Attrs): Tensor {
  const s = getSchema(op);
  const full: Attrs = {};
  for (const [k, spec] of Object.entries(s.attrs)) {
    const v = attrs[k] ?? spec.default;
    if (v !== undefined) full[k] = v;
  }
  return s.evaluate!(ins, full)[0];
}

/** One ONNX node over inputs x (fed) and constant initializers, run in onnxruntime. */
async function ort(op: string, x: Tensor, inits: Record<string, Tensor>, attrs: Record<string, AttrInit>, opset = 13): Promise<Tensor> {
  const bytes = buildModel({
    opset,
    nodes: [{ op, inputs: ['x', ...Object.keys(inits)], outputs: ['y'], attrs }],
    inputs: [{ name: 'x', dims: [...x.dims] }],
    outputs: [{ name: 'y' }],
    initializers: inits,
  });
  return (await runOrt(bytes, { x })).y;
}

interface ConvCase {
  x: number[];
  w: number[];
  group?: number;
  strides?: number[];
  dilations?: number[];
  pads?: number[]; // ONNX order: [top, left, bottom, right] for 2-D
  autoPad?: 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
  bias?: boolean;
}

const convCases: ConvCase[] = [
  { x: [1, 3, 7, 9], w: [4, 3, 3, 3], pads: [1, 1, 1, 1], bias: true },
  { x: [2, 4, 8, 6], w: [6, 2, 3, 2], group: 2, strides: [2, 1], pads: [1, 0, 2, 1] },
  { x: [1, 6, 9, 9], w: [6, 1, 5, 5], group: 6, dilations: [2, 1], pads: [4, 2, 4, 2], bias: true },
  { x: [1, 5, 10, 7], w: [3, 5, 3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' },
  { x: [1, 5, 10, 7], w: [3, 5, 4, 2], strides: [3, 2], autoPad: 'SAME_LOWER' },
  { x: [1, 2, 6, 6], w: [2, 2, 1, 1], strides: [2, 2], autoPad: 'VALID', bias: true },
];

describe('reference evaluate vs onnxruntime-node', () => {
  for (const c of convCases) {
    it(`Conv ${JSON.stringify(c)} (NCHW and repacked NHWC)`, async () => {
      const x = randomTensor(c.x, rand);
      const w = randomTensor(c.w, rand);
      const b = c.bias ? randomTensor([c.w[0]], rand) : undefined;
      const onnxAttrs: Record<string, AttrInit> = { group: { i: c.group ?? 1 } };
      if (c.strides) onnxAttrs.strides = { ints: c.strides };
      if (c.dilations) onnxAttrs.dilations = { ints: c.dilations };
      if (c.autoPad) onnxAttrs.auto_pad = { s: c.autoPad };
      // ONNX pads are [x1_begin, x2_begin, x1_end, x2_end] = [top, left, bottom, right], as ours.
      if (c.pads) onnxAttrs.pads = { ints: c.pads };
      const ref = await ort('Conv', x, b ? { w, b } : { w }, onnxAttrs);
      const attrs: Attrs = { group: c.group ?? 1 };
      if (c.strides) attrs.strides = c.strides;
      if (c.dilations) attrs.dilations = c.dilations;
      if (c.autoPad) attrs.autoPad = c.autoPad;
      if (c.pads) attrs.pads = c.pads;
      const y = ours('Conv2D', [x, w, b], attrs);
      expect(y.dims).toEqual(ref.dims);
      expect(maxRelDiff(y, ref)).toBeLessThan(1e-5);
      const yh = ours('Conv2D', [transposeTensor(x, TO_NHWC), transposeTensor(w, TO_NHWC), b], { ...attrs, layout: 'NHWC' });
      expect(maxRelDiff(transposeTensor(yh, TO_NCHW), ref)).toBeLessThan(1e-5);
    });
  }

  it('Conv with fused activations equals Conv followed by the activation', async () => {
    const x = randomTensor([1, 2, 5, 5], rand, -3, 3);
    const w = randomTensor([3, 2, 3, 3], rand);
    const plain = await ort('Conv', x, { w }, { pads: { ints: [1, 1, 1, 1] } });
    const cases: [string, number[], (v: number) => number][] = [
      ['relu', [], (v) => Math.max(v, 0)],
      ['relu6', [], (v) => Math.min(Math.max(v, 0), 6)],
      ['clip', [-0.5, 0.25], (v) => Math.min(Math.max(v, -0.5), 0.25)],
      ['hardsigmoid', [0.2, 0.5], (v) => Math.max(0, Math.min(1, 0.2 * v + 0.5))],
      ['hardswish', [], (v) => (v * Math.max(0, Math.min(1, v / 6 + 0.5)))],
      ['sigmoid', [], (v) => 1 / (1 + Math.exp(-v))],
    ];
    for (const [activation, activationParams, f] of cases) {
      const y = ours('Conv2D', [x, w], { pads: [1, 1, 1, 1], activation, activationParams });
      const expected = new Tensor('float32', Float32Array.from(plain.toNumbers(), f), [...plain.dims]);
      expect(maxRelDiff(y, expected), activation).toBeLessThan(1e-5);
    }
  });

  const poolCases: [string, number[], Record<string, AttrInit>, Attrs][] = [
    ['MaxPool', [1, 3, 7, 8], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }, { kernel: [2, 2], strides: [2, 2] }],
    ['MaxPool', [2, 2, 7, 8], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } }, { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
    ['MaxPool', [1, 2, 7, 8], { kernel_shape: { ints: [3, 2] }, strides: { ints: [2, 3] }, ceil_mode: { i: 1 } }, { kernel: [3, 2], strides: [2, 3], ceilMode: true }],
    ['MaxPool', [1, 2, 9, 9], { kernel_shape: { ints: [2, 2] }, dilations: { ints: [2, 2] } }, { kernel: [2, 2], dilations: [2, 2] }],
    ['MaxPool', [1, 2, 7, 5], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, auto_pad: { s: 'SAME_UPPER' } }, { kernel: [3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' }],
    ['AveragePool', [1, 3, 7, 8], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } }, { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
    ['AveragePool', [1, 3, 7, 8], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 0, 1, 2] }, count_include_pad: { i: 1 } }, { kernel: [3, 3], strides: [2, 2], pads: [1, 0, 1, 2], countIncludePad: true }],
    ['AveragePool', [1, 2, 8, 7], { kernel_shape: { ints: [2, 3] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } }, { kernel: [2, 3], strides: [2, 2], ceilMode: true }],
  ];
  for (const [op, dims, onnxAttrs, attrs] of poolCases) {
    it(`${op} ${JSON.stringify(attrs)} (NCHW and NHWC)`, async () => {
      const x = randomTensor(dims, rand);
      const ref = await ort(op, x, {}, onnxAttrs, 19);
      const name = op === 'MaxPool' ? 'MaxPool2D' : 'AveragePool2D';
      const y = ours(name, [x], attrs);
      expect(y.dims).toEqual(ref.dims);
      expect(maxRelDiff(y, ref)).toBeLessThan(1e-6);
      const yh = ours(name, [transposeTensor(x, TO_NHWC)], { ...attrs, layout: 'NHWC' });
      expect(maxRelDiff(transposeTensor(yh, TO_NCHW), ref)).toBeLessThan(1e-6);
    });
  }

  it('GlobalAveragePool (NCHW and NHWC)', async () => {
    const x = randomTensor([2, 5, 6, 7], rand);
    const ref = await ort('GlobalAveragePool', x, {}, {});
    expect(maxRelDiff(ours('GlobalAveragePool', [x], {}), ref)).toBeLessThan(1e-6);
    const yh = ours('GlobalAveragePool', [transposeTensor(x, TO_NHWC)], { layout: 'NHWC' });
    expect(yh.dims).toEqual([2, 1, 1, 5]);
    expect(maxRelDiff(transposeTensor(yh, TO_NCHW), ref)).toBeLessThan(1e-6);
  });

  const matmulCases: [number[], number[]][] = [
    [[3, 4], [4, 5]],
    [[2, 3, 4], [4, 6]],
    [[2, 1, 3, 4], [5, 4, 2]],
    [[4], [4, 3]],
    [[2, 3, 4], [4]],
  ];
  for (const [a, b] of matmulCases) {
    it(`MatMul ${JSON.stringify(a)} x ${JSON.stringify(b)}`, async () => {
      const x = randomTensor(a, rand);
      const w = randomTensor(b, rand);
      const ref = await ort('MatMul', x, { w }, {});
      const y = ours('MatMul', [x, w], {});
      expect(y.dims).toEqual(ref.dims);
      expect(maxRelDiff(y, ref)).toBeLessThan(1e-5);
    });
  }

  for (const [dims, axis] of [[[3, 7], -1], [[2, 3, 4], 1], [[2, 3, 4], 0]] as const) {
    it(`Softmax ${JSON.stringify(dims)} axis ${axis}`, async () => {
      const x = randomTensor([...dims], rand, -5, 5);
      const ref = await ort('Softmax', x, {}, { axis: { i: axis } });
      expect(maxRelDiff(ours('Softmax', [x], { axis }), ref)).toBeLessThan(1e-6);
    });
  }

  it('BatchNormalization (NCHW and NHWC)', async () => {
    const x = randomTensor([2, 4, 3, 5], rand);
    const p = { s: randomTensor([4], rand), b: randomTensor([4], rand), m: randomTensor([4], rand), v: randomTensor([4], rand, 0.1, 2) };
    const ref = await ort('BatchNormalization', x, p, { epsilon: { f: 1e-3 } });
    const ins = [p.s, p.b, p.m, p.v];
    expect(maxRelDiff(ours('BatchNorm', [x, ...ins], { epsilon: 1e-3 }), ref)).toBeLessThan(1e-5);
    const yh = ours('BatchNorm', [transposeTensor(x, TO_NHWC), ...ins], { epsilon: 1e-3, layout: 'NHWC' });
    expect(maxRelDiff(transposeTensor(yh, TO_NCHW), ref)).toBeLessThan(1e-5);
  });

  it('unary activations', async () => {
    const x = randomTensor([4, 9], rand, -8, 8);
    const cases: [string, Record<string, AttrInit>, string, Attrs][] = [
      ['Relu', {}, 'Relu', {}],
      ['Sigmoid', {}, 'Sigmoid', {}],
      ['Tanh', {}, 'Tanh', {}],
      ['HardSigmoid', { alpha: { f: 0.2 }, beta: { f: 0.5 } }, 'HardSigmoid', { alpha: 0.2, beta: 0.5 }],
      ['HardSwish', {}, 'HardSwish', {}],
    ];
    for (const [onnxOp, onnxAttrs, op, attrs] of cases) {
      const ref = await ort(onnxOp, x, {}, onnxAttrs, 14);
      expect(maxRelDiff(ours(op, [x], attrs), ref), op).toBeLessThan(1e-6);
    }
    const clip = await ort('Clip', x, { lo: new Tensor('float32', [-1.5], []), hi: new Tensor('float32', [2.5], []) }, {});
    expect(maxRelDiff(ours('Clip', [x], { min: -1.5, max: 2.5 }), clip)).toBeLessThan(1e-7);
  });
});
