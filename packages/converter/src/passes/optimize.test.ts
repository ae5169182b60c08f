import type { Graph } from '@goldcrest/core-ir';
import { describe, expect, it } from 'vitest';
import { Builder, expectSameNumerics } from './fixtures.js';
import { type OptimizeReport, formatOptimizeReport, optimize } from './optimize.js';
import { opHistogram } from './testing.js';

/**
 * A miniature of an ONNX-imported MobileNetV3: Conv+BN, decomposed hardswish, an SE block with an
 * alpha-0.2 HardSigmoid gate, a residual Add, MaxPool, GAP, the Shape/Cast/Slice/Concat/Reshape
 * flatten, MatMul + Add, Softmax.
 */
function miniMobileNet(): Graph {
  const b = new Builder(99);
  const bn = (v: ReturnType<Builder['node']>, c: number, tag: string) =>
    b.node('BatchNorm', [v, b.weight(`${tag}_g`, [c], 0.5, 1.5), b.weight(`${tag}_b`, [c]), b.weight(`${tag}_m`, [c]), b.weight(`${tag}_v`, [c], 0.5, 1.5)]);
  const hswish = (v: ReturnType<Builder['node']>, tag: string) =>
    b.node('Div', [b.node('Mul', [v, b.node('Clip', [b.node('Add', [v, b.f32(`${tag}_3`, [3])])], { min: 0, max: 6 })]), b.f32(`${tag}_6`, [6])]);
  const x = b.input('x', [1, 3, 16, 20]);
  const c0 = hswish(bn(b.node('Conv2D', [x, b.weight('w0', [8, 3, 3, 3])], { strides: [2, 2], pads: [1, 1, 1, 1] }), 8, 'bn0'), 'hs0');
  const dw = b.node('Relu', [bn(b.node('Conv2D', [c0, b.weight('w1', [8, 1, 3, 3])], { group: 8, pads: [1, 1, 1, 1] }), 8, 'bn1')]);
  // SE: GAP -> conv(bias) -> relu -> conv(bias) -> HardSigmoid(0.2) -> Mul
  const gap = b.node('GlobalAveragePool', [dw]);
  const s1 = b.node('Relu', [b.node('Conv2D', [gap, b.weight('se1', [4, 8, 1, 1]), b.weight('se1b', [4])])]);
  const s2 = b.node('HardSigmoid', [b.node('Conv2D', [s1, b.weight('se2', [8, 4, 1, 1]), b.weight('se2b', [8])])], { alpha: 0.2, beta: 0.5 });
  const gated = b.node('Mul', [dw, s2]);
  const proj = bn(b.node('Conv2D', [gated, b.weight('w2', [8, 8, 1, 1])]), 8, 'bn2');
  const res = b.node('Add', [c0, proj]);
  const pooled = b.node('GlobalAveragePool', [b.node('MaxPool2D', [res], { kernel: [2, 2], strides: [2, 2] })]);
  const shape = b.node('Cast', [b.node('Shape', [pooled])], { to: 'int32' });
  const batch = b.node('Cast', [b.node('Slice', [shape, b.i64('s0', [0]), b.i64('s1', [1]), b.i64('sa', [0])])], { to: 'int64' });
  const flat = b.node('Reshape', [pooled, b.node('Concat', [batch, b.i64('c8', [8])], { axis: 0 })]);
  const logits = b.node('Add', [b.node('MatMul', [flat, b.weight('fc', [8, 3])]), b.weight('fcb', [3])]);
  return b.output(b.node('Softmax', [logits], { axis: 1 }, 'prob'));
}

describe('optimize (hand-built MobileNetV3 block)', () => {
  it('NHWC: folds, fuses, converts layout, keeps one input Transpose, same numbers', () => {
    const g = miniMobileNet();
    let report: OptimizeReport | undefined;
    expectSameNumerics(g, (gr) => { report = optimize(gr); });
    const h = opHistogram(g);
    expect(h).toEqual({ Transpose: 1, Conv2D: 5, GlobalAveragePool: 2, Mul: 1, Add: 1, MaxPool2D: 1, Reshape: 1, MatMul: 1, Softmax: 1 });
    expect(g.nodes[0].op).toBe('Transpose');
    expect(report!.totals).toMatchObject({ 'conv-batchnorm': 3, 'hardswish-div6': 1, 'fuse-activation': 4, 'matmul-add-bias': 1, foldConstants: 5 });
    expect(report!.converged).toBe(true);
    expect(report!.nodesBefore).toBeGreaterThan(report!.nodesAfter);
    expect(report!.passes.map((p) => p.pass)).toContain('toNHWC');
    expect(g.inputs[0].shape).toEqual([1, 3, 16, 20]);
    expect(g.outputs[0].name).toBe('prob');
    const text = formatOptimizeReport(report!);
    expect(text).toMatch(/^optimize \(NHWC\): \d+ -> 14 nodes/);
    expect(text).toMatch(/conv-batchnorm +3/);
    expect(text).not.toMatch(/transpose-through-unary/); // rules that never applied are omitted
  });

  it('NCHW: the same fusions and no Transpose', () => {
    const g = miniMobileNet();
    expectSameNumerics(g, (gr) => optimize(gr, { layout: 'NCHW' }));
    expect(opHistogram(g)).toEqual({ Conv2D: 5, GlobalAveragePool: 2, Mul: 1, Add: 1, MaxPool2D: 1, Reshape: 1, MatMul: 1, Softmax: 1 });
  });

  it('rejects an unknown layout with E_ARGUMENT', () => {
    expect(() => optimize(miniMobileNet(), { layout: 'NWHC' as 'NHWC' })).toThrow(expect.objectContaining({ code: 'E_ARGUMENT' }));
  });
});
