import { applyRules } from '@goldcrest/rewrite';
import { describe, expect, it } from 'vitest';
import { foldBatchNormRules } from './fold-batchnorm.js';
import { Builder, expectSameNumerics, ops } from './fixtures.js';

function bnParams(b: Builder, c: number, tag: string) {
  return [b.weight(`${tag}_g`, [c], 0.5, 1.5), b.weight(`${tag}_b`, [c]), b.weight(`${tag}_m`, [c]), b.weight(`${tag}_v`, [c], 0.1, 2)];
}

const fold = (g: Parameters<typeof applyRules>[0]) => applyRules(g, foldBatchNormRules);

describe('foldBatchNorm', () => {
  it('folds Conv2D -> BatchNorm into the conv weights and bias (with and without a conv bias, grouped)', () => {
    for (const [bias, group] of [[false, 1], [true, 1], [true, 4], [false, 8]] as const) {
      const b = new Builder(group);
      const x = b.input('x', [1, 8, 6, 5]);
      const w = b.weight('w', [8, 8 / group, 3, 3]);
      const conv = b.node('Conv2D', [x, w, bias ? b.weight('cb', [8]) : null].filter((v) => v !== null), { pads: [1, 1, 1, 1], group, strides: [2, 1] });
      const g = b.output(b.node('BatchNorm', [conv, ...bnParams(b, 8, 'bn')], { epsilon: 1e-3 }, 'y'));
      expectSameNumerics(g, (gr) => expect(fold(gr).applied['conv-batchnorm']).toBe(1));
      expect(ops(g)).toEqual(['Conv2D']);
      expect(g.nodes[0].outputs[0].name).toBe('y'); // BatchNorm's output name (a graph output) survives
      expect(g.nodes[0].inputs).toHaveLength(3);
    }
  });

  it('folds in NHWC layout too', () => {
    const b = new Builder();
    const x = b.input('x', [1, 5, 5, 4]);
    const conv = b.node('Conv2D', [x, b.weight('w', [6, 3, 3, 4])], { layout: 'NHWC' });
    const g = b.output(b.node('BatchNorm', [conv, ...bnParams(b, 6, 'bn')], { layout: 'NHWC' }));
    expectSameNumerics(g, (gr) => expect(fold(gr).steps).toBe(1));
    expect(ops(g)).toEqual(['Conv2D']);
  });

  it('leaves a lone BatchNorm, a BatchNorm after a shared conv, and one after a fused activation', () => {
    const b = new Builder();
    const x = b.input('x', [1, 4, 3, 3]);
    const lone = b.node('BatchNorm', [x, ...bnParams(b, 4, 'a')]);
    const shared = b.node('Conv2D', [lone, b.weight('w1', [4, 4, 1, 1])]);
    const bn2 = b.node('BatchNorm', [shared, ...bnParams(b, 4, 'b')]);
    const side = b.node('Relu', [shared]);
    const act = b.node('Conv2D', [bn2, b.weight('w2', [4, 4, 1, 1])], { activation: 'relu' });
    const bn3 = b.node('BatchNorm', [act, ...bnParams(b, 4, 'c')]);
    const g = b.output(bn3, side);
    expectSameNumerics(g, (gr) => expect(fold(gr).steps).toBe(0));
    expect(ops(g)).toEqual(['BatchNorm', 'Conv2D', 'BatchNorm', 'Relu', 'Conv2D', 'BatchNorm']);
  });
});
