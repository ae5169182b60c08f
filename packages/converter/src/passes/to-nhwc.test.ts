import { type Graph, Tensor } from '@goldcrest/core-ir';
import { applyRules, eliminateDeadCode } from '@goldcrest/rewrite';
import { describe, expect, it } from 'vitest';
import { Builder, expectSameNumerics, ops } from './fixtures.js';
import { TO_NCHW, cleanupLayout, convertToNHWC, layoutCleanupRules, permuteConstantFor, transposeTensor } from './to-nhwc.js';

const toNhwc = (g: Graph) => {
  const n = convertToNHWC(g);
  const r = cleanupLayout(g);
  eliminateDeadCode(g);
  return { n, r };
};
const count = (g: Graph, op: string) => g.nodes.filter((n) => n.op === op).length;

describe('toNHWC', () => {
  it('converts conv / pools / GAP / BatchNorm, repacks weights, keeps graph I/O in NCHW', () => {
    const b = new Builder();
    const x = b.input('x', [1, 3, 9, 7]);
    const w = b.weight('w', [6, 3, 3, 3]);
    const c1 = b.node('Conv2D', [x, w, b.weight('b', [6])], { pads: [1, 0, 1, 2], strides: [2, 1], activation: 'relu' });
    const bn = b.node('BatchNorm', [c1, b.weight('g', [6], 0.5, 1), b.weight('be', [6]), b.weight('m', [6]), b.weight('v', [6], 0.5, 1)]);
    const dw = b.node('Conv2D', [bn, b.weight('dw', [6, 1, 3, 3])], { group: 6, dilations: [2, 1], autoPad: 'SAME_UPPER' });
    const mp = b.node('MaxPool2D', [dw], { kernel: [2, 2], strides: [2, 2], ceilMode: true });
    const ap = b.node('AveragePool2D', [mp], { kernel: [2, 2], pads: [1, 1, 1, 1] });
    const g = b.output(b.node('GlobalAveragePool', [ap], {}, 'y'), b.node('Relu', [ap], {}, 'z'));
    expectSameNumerics(g, (gr) => expect(toNhwc(gr).n).toBe(6));
    for (const n of g.nodes) if (n.op !== 'Transpose' && n.op !== 'Reshape' && n.op !== 'Relu') expect(n.attrs.layout).toBe('NHWC');
    expect(g.nodes.find((n) => n.op === 'Conv2D' && n.attrs.group === undefined)!.inputs[1]!.shape).toEqual([6, 3, 3, 3]);
    expect(g.nodes.find((n) => n.op === 'Conv2D' && n.attrs.group === 6)!.inputs[1]!.shape).toEqual([6, 3, 3, 1]);
    // one Transpose in (x), one back for z; y = GAP [1,6,1,1] comes back through a Reshape
    expect(count(g, 'Transpose')).toBe(2);
    expect(g.inputs[0].shape).toEqual([1, 3, 9, 7]);
    expect(g.value('y').shape).toEqual([1, 6, 1, 1]);
  });

  it('cancels inverse Transpose pairs and pushes Transposes through element-wise ops (residual + SE)', () => {
    const b = new Builder();
    const x = b.input('x', [1, 4, 6, 6]);
    const c1 = b.node('Conv2D', [x, b.weight('w1', [4, 4, 1, 1])]);
    const c2 = b.node('Conv2D', [c1, b.weight('w2', [4, 4, 1, 1])], { activation: 'hardswish' });
    const gap = b.node('GlobalAveragePool', [c2]);
    const se = b.node('Conv2D', [gap, b.weight('w3', [4, 4, 1, 1]), b.weight('b3', [4])], { activation: 'hardsigmoid', activationParams: [0.2, 0.5] });
    const gated = b.node('Mul', [c2, se]);
    const res = b.node('Add', [gated, c1]);
    const scaled = b.node('Mul', [res, b.weight('chan', [4, 1, 1])]); // [C,1,1] broadcast constant
    const shifted = b.node('Sub', [b.f32('one', [1]), scaled]); // scalar on the left
    const act = b.node('Relu', [shifted]);
    const g = b.output(b.node('Conv2D', [act, b.weight('w4', [2, 4, 3, 3])], {}, 'y'));
    expectSameNumerics(g, (gr) => toNhwc(gr));
    expect(count(g, 'Transpose')).toBe(2); // input and output boundary only
    expect(ops(g)[0]).toBe('Transpose');
    expect(ops(g).at(-1)).toBe('Transpose');
    const mul = g.nodes.find((n) => n.op === 'Mul' && n.inputs[1]!.data)!;
    expect(mul.inputs[1]!.shape).toEqual([1, 1, 1, 4]);
  });

  it('Concat of equally transposed values: the Transpose moves below, the axis is remapped', () => {
    const b = new Builder();
    const x = b.input('x', [1, 3, 5, 6]);
    const c1 = b.node('Conv2D', [x, b.weight('w1', [4, 3, 3, 3])], { pads: [1, 1, 1, 1] });
    const c2 = b.node('MaxPool2D', [x], { kernel: [3, 3], pads: [1, 1, 1, 1] });
    const cat = b.node('Concat', [c1, c2], { axis: 1 });
    const g = b.output(b.node('Conv2D', [cat, b.weight('w2', [2, 7, 1, 1])], {}, 'y'));
    expectSameNumerics(g, (gr) => expect(toNhwc(gr).r.applied['transpose-through-concat']).toBe(1));
    expect(count(g, 'Transpose')).toBe(2);
    expect(g.nodes.find((n) => n.op === 'Concat')!.attrs.axis).toBe(3);
  });

  it('permuteConstantFor pads rank-broadcast constants and permutes by the inverse', () => {
    const c = new Tensor('float32', [1, 2, 3], [3, 1, 1]);
    const p = permuteConstantFor(c, TO_NCHW)!;
    expect(p.dims).toEqual([1, 1, 1, 3]);
    expect(p.toNumbers()).toEqual([1, 2, 3]);
    const s = new Tensor('float32', [5], [1]);
    expect(permuteConstantFor(s, TO_NCHW)).toBe(s);
    expect(permuteConstantFor(new Tensor('float32', new Float32Array(32), [2, 1, 1, 1, 4, 4]), TO_NCHW)).toBeUndefined();
    const t = transposeTensor(new Tensor('float32', [1, 2, 3, 4, 5, 6], [1, 2, 3, 1]), TO_NCHW);
    expect(t.dims).toEqual([1, 1, 2, 3]);
    expect(t.toNumbers()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a Transpose that only moves size-1 axes becomes a Reshape; Reshape chains collapse', () => {
    const b = new Builder();
    const x = b.input('x', [1, 1, 1, 5]);
    const t = b.node('Transpose', [x], { perm: TO_NCHW });
    const r = b.node('Reshape', [t, b.i64('s', [1, 5])]);
    const g = b.output(b.node('Sigmoid', [r]));
    expectSameNumerics(g, (gr) => {
      const res = cleanupLayout(gr);
      expect(res.applied['transpose-to-reshape']).toBe(1);
      expect(res.applied['reshape-reshape']).toBe(1);
      eliminateDeadCode(gr);
    });
    expect(ops(g)).toEqual(['Reshape', 'Sigmoid']);
  });

  it('a Transpose with another reader is not pushed (no duplication), and non-constant broadcasting stays', () => {
    const b = new Builder();
    const x = b.input('x', [1, 2, 3, 4]);
    const t = b.node('Transpose', [x], { perm: [0, 2, 3, 1] });
    const a = b.node('Relu', [t]);
    const s = b.node('Sigmoid', [t]);
    const g = b.output(a, s);
    expectSameNumerics(g, (gr) => expect(applyRules(gr, layoutCleanupRules).steps).toBe(0));
  });

  it('leaves NHWC nodes and non-4-D inputs alone', () => {
    const b = new Builder();
    const x = b.input('x', [1, 4, 4, 2]);
    const g = b.output(b.node('MaxPool2D', [x], { kernel: [2, 2], layout: 'NHWC' }), b.node('BatchNorm', [b.input('v', [3, 2]), b.f32('s', [1, 1]), b.f32('o', [0, 0]), b.f32('m', [0, 0]), b.f32('va', [1, 1])]));
    expect(convertToNHWC(g)).toBe(0);
  });
});
