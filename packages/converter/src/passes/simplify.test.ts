import { Tensor } from '@goldcrest/core-ir';
import { applyRules } from '@goldcrest/rewrite';
import { describe, expect, it } from 'vitest';
import { Builder, expectSameNumerics, ops } from './fixtures.js';
import { powSquareRule, reshapeTargetFor, simplifyShapeRules } from './simplify.js';
import { runReference } from './testing.js';

const simplify = (g: Parameters<typeof applyRules>[0]) => applyRules(g, simplifyShapeRules, { reinfer: true });

describe('simplify rules', () => {
  it('removes Identity, identity Transpose, same-shape Reshape, and Flatten of a matrix', () => {
    const b = new Builder();
    const x = b.input('x', [2, 3]);
    const i = b.node('Identity', [x]);
    const t = b.node('Transpose', [i], { perm: [0, 1] });
    const r = b.node('Reshape', [t, b.i64('s', [2, 3])]);
    const f = b.node('Flatten', [r], { axis: 1 });
    const g = b.output(b.node('Softmax', [f], {}, 'y'));
    expectSameNumerics(g, (gr) => expect(simplify(gr).applied['remove-noop']).toBe(4));
    expect(ops(g)).toEqual(['Softmax']);
    expect(g.nodes[0].inputs[0]).toBe(x);
  });

  it('Flatten -> Softmax -> Reshape(Shape(x)) around a symbolic matrix collapses to Softmax, keeping the output name', () => {
    const b = new Builder();
    const x = b.input('x', ['N', 4]);
    const f = b.node('Flatten', [x], { axis: 1 });
    const s = b.node('Softmax', [f], { axis: 1 });
    const sh = b.node('Shape', [x]);
    const g = b.output(b.node('Reshape', [s, sh], {}, 'prob'));
    simplify(g);
    expect(ops(g)).toEqual(['Softmax']);
    expect(g.outputs[0].name).toBe('prob');
    expect(g.nodes[0].outputs[0]).toBe(g.outputs[0]);
    const xin = new Tensor('float32', [1, 2, 3, 4, 0, 0, 0, 0], [2, 4]);
    expect(runReference(g, { x: xin }).prob.dims).toEqual([2, 4]);
  });

  it('a Reshape to a different shape, and a Flatten of rank 4, stay', () => {
    const b = new Builder();
    const x = b.input('x', [2, 3, 1, 1]);
    const g = b.output(b.node('Reshape', [x, b.i64('s', [3, 2])]), b.node('Flatten', [x], { axis: 1 }));
    expect(simplify(g).steps).toBe(0);
  });

  it('transpose -> reshape with a symbolic batch uses 0 (copy) for it', () => {
    const b = new Builder();
    const x = b.input('x', ['N', 1, 1, 7]);
    const g = b.output(b.node('Transpose', [x], { perm: [0, 3, 1, 2] }, 'y'));
    expect(simplify(g).applied['transpose-to-reshape']).toBe(1);
    expect(ops(g)).toEqual(['Reshape']);
    expect(g.nodes[0].inputs[1]!.data!.toNumbers()).toEqual([0, 7, 1, 1]);
    const xin = new Tensor('float32', Float32Array.from({ length: 14 }, (_, i) => i), [2, 1, 1, 7]);
    const y = runReference(g, { x: xin }).y;
    expect(y.dims).toEqual([2, 7, 1, 1]);
    expect(y.toNumbers()).toEqual(xin.toNumbers());
  });

  it('a real Transpose (non-1 axes reorder) stays a Transpose', () => {
    const b = new Builder();
    const x = b.input('x', [1, 2, 3, 1]);
    const g = b.output(b.node('Transpose', [x], { perm: [0, 2, 1, 3] }));
    expect(simplify(g).steps).toBe(0);
  });

  it('a Transpose with the default perm reverses the axes: never removed as a no-op', () => {
    const b = new Builder();
    const x = b.input('x', [2, 3, 4]);
    const g = b.output(b.node('Transpose', [x], {}, 'y'));
    expectSameNumerics(g, (gr) => simplify(gr));
    expect(ops(g)).toEqual(['Transpose']);
    expect(g.outputs[0].shape).toEqual([4, 3, 2]);
  });

  it('reshapeTargetFor: numbers, copied symbols, one inferred symbol', () => {
    expect(reshapeTargetFor(['N', 3, 4], ['N', 12])).toEqual([0, 12]);
    expect(reshapeTargetFor(['N', 3, 4], [12, 'N'])).toEqual([12, -1]);
    expect(reshapeTargetFor(['N', 'M'], ['A', 'B'])).toBeUndefined();
    expect(reshapeTargetFor([0, 3], [0, 3])).toBeUndefined(); // 0 would mean "copy"
  });

  it('Pow(x, 2) becomes Mul(x, x), exactly (x*x is the correctly rounded pow(x, 2))', () => {
    const b = new Builder();
    const x = b.input('x', [2, 5]);
    const g = b.output(b.node('Pow', [x, b.f32('two', [2], [])], {}, 'y'));
    const xin = new Tensor('float32', [-3, -0.5, 0, 1e-20, 1.5, 7, 1e19, -1e-3, 0.1, 3.3], [2, 5]);
    const before = runReference(g, { x: xin }).y;
    expect(applyRules(g, [powSquareRule], { reinfer: true }).applied['pow-square-to-mul']).toBe(1);
    expect(ops(g)).toEqual(['Mul']);
    expect(g.nodes[0].inputs).toEqual([x, x]);
    expect(Array.from(runReference(g, { x: xin }).y.data as Float32Array)).toEqual(Array.from(before.data as Float32Array));
  });

  it('Pow stays for other exponents, a non-constant exponent, or an exponent that broadcasts x up', () => {
    const b = new Builder();
    const x = b.input('x', [3]);
    const e = b.input('e', [3]);
    const g = b.output(
      b.node('Pow', [x, b.f32('half', [0.5], [])]),
      b.node('Pow', [x, b.f32('mixed', [2, 2, 3])]),
      b.node('Pow', [x, e]),
      b.node('Pow', [x, b.f32('wide', [2, 2, 2, 2, 2, 2], [2, 3])]),
    );
    expect(applyRules(g, [powSquareRule], { reinfer: true }).steps).toBe(0);
  });
});
