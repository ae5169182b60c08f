// optimize() on the real target: the PP-OCR direction classifier (opset-9 MobileNetV3 from paddle2onnx).
import { readFileSync } from 'node:fs';
import type { Graph } from '@goldcrest/core-ir';
import { beforeAll, describe, expect, it } from 'vitest';
import { assetPath } from '../../../../tools/assets.mjs';
import { importOnnx } from '../onnx/import.js';
import { runOrt } from '../onnx/testing.js';
import { optimize } from './optimize.js';
import { maxRelDiff, opHistogram, randomTensor, rng, runReference } from './testing.js';

const OUT = 'softmax_0.tmp_0';

/** Every node is one of the kernels the runtime is meant to see after optimization. */
function expectOptimizedStructure(g: Graph, layout: 'NHWC' | 'NCHW') {
  const h = opHistogram(g);
  expect(Object.keys(h).sort()).toEqual(
    ['Add', 'Conv2D', 'GlobalAveragePool', 'MatMul', 'MaxPool2D', 'Mul', 'Reshape', 'Softmax', ...(layout === 'NHWC' ? ['Transpose'] : [])].sort(),
  );
  expect(h).toMatchObject({ Conv2D: 53, GlobalAveragePool: 10, Mul: 9, Add: 7, MaxPool2D: 1, Reshape: 1, MatMul: 1, Softmax: 1 });
  if (layout === 'NHWC') {
    expect(h.Transpose).toBe(1);
    expect(g.nodes[0].op).toBe('Transpose'); // the only one: at the input
    expect(g.nodes[0].inputs[0]).toBe(g.inputs[0]);
  }
  for (const n of g.nodes) {
    if (['Conv2D', 'GlobalAveragePool', 'MaxPool2D'].includes(n.op)) expect(n.attrs.layout ?? 'NCHW').toBe(layout);
  }
  const acts = g.nodes.filter((n) => n.op === 'Conv2D').map((n) => n.attrs.activation ?? 'none');
  expect(new Set(acts)).toEqual(new Set(['none', 'relu', 'hardswish', 'hardsigmoid']));
  const se = g.nodes.filter((n) => n.attrs.activation === 'hardsigmoid');
  expect(se).toHaveLength(9);
  for (const n of se) expect(n.attrs.activationParams).toEqual([expect.closeTo(0.2, 6), 0.5]); // the SE gate, not hardswish
  expect(acts.filter((a) => a === 'hardswish')).toHaveLength(18);
  const mm = g.nodes.find((n) => n.op === 'MatMul')!;
  expect(mm.inputs[2]?.data?.dims).toEqual([2]);
  expect(g.inputs[0].name).toBe('x');
  expect(g.outputs.map((o) => o.name)).toEqual([OUT]);
}

describe('optimize: PP-OCR cls (real model)', () => {
  let bytes: Uint8Array;
  beforeAll(() => { bytes = readFileSync(assetPath('ppocr-cls')); });

  it('static input [1,3,48,192], NHWC: only fused convs, SE Mul, residual Add, pools, Reshape, MatMul(bias), Softmax, one Transpose; same numbers', async () => {
    const g0 = importOnnx(bytes, { inputShapes: { x: [1, 3, 48, 192] } });
    const g = importOnnx(bytes, { inputShapes: { x: [1, 3, 48, 192] } });
    const report = optimize(g);
    expectOptimizedStructure(g, 'NHWC');
    expect(report.converged).toBe(true);
    expect(report.totals).toMatchObject({ 'conv-batchnorm': 35, 'hardswish-div6': 18, 'matmul-add-bias': 1, 'fuse-activation': 42, convertToNHWC: 64 });
    expect(report.opsBefore.BatchNorm).toBe(35);
    expect(report.nodesAfter).toBe(84);
    expect(g.outputs[0].shape).toEqual([1, 2]);
    const x = randomTensor([1, 3, 48, 192], rng(11));
    const before = runReference(g0, { x })[OUT];
    const after = runReference(g, { x })[OUT];
    const ort = (await runOrt(bytes, { x }))[OUT];
    expect(maxRelDiff(after, before)).toBeLessThan(1e-5);
    expect(maxRelDiff(after, ort)).toBeLessThan(1e-4);
  });

  it('symbolic batch and size: the same structure (flatten target [0, 200]) and it runs at batch 2', async () => {
    const g = importOnnx(bytes);
    expect(optimize(g).nodesAfter).toBe(84);
    expectOptimizedStructure(g, 'NHWC');
    const reshape = g.nodes.find((n) => n.op === 'Reshape')!;
    expect(reshape.inputs[1]!.data!.toNumbers()).toEqual([0, 200]);
    const x = randomTensor([2, 3, 48, 160], rng(5));
    const ours = runReference(g, { x })[OUT];
    const ort = (await runOrt(bytes, { x }))[OUT];
    expect(ours.dims).toEqual([2, 2]);
    expect(maxRelDiff(ours, ort)).toBeLessThan(1e-4);
  });

  it('layout NCHW: the same fusions without any Transpose', async () => {
    const g = importOnnx(bytes, { inputShapes: { x: [1, 3, 48, 192] } });
    const report = optimize(g, { layout: 'NCHW' });
    expectOptimizedStructure(g, 'NCHW');
    expect(report.passes.some((p) => p.pass === 'toNHWC')).toBe(false);
    const x = randomTensor([1, 3, 48, 192], rng(12));
    expect(maxRelDiff(runReference(g, { x })[OUT], (await runOrt(bytes, { x }))[OUT])).toBeLessThan(1e-4);
  });

  it('is idempotent: optimizing an optimized graph changes nothing', () => {
    const g = importOnnx(bytes, { inputShapes: { x: [1, 3, 48, 192] } });
    optimize(g);
    const again = optimize(g);
    expect(Object.values(again.totals).every((v) => v === 0)).toBe(true);
    expect(again.nodesAfter).toBe(again.nodesBefore);
  });
});
