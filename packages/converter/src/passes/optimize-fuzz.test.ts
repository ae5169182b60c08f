// Randomized check of the whole pipeline: random small CNNs in ONNX-import form (NCHW, BatchNorm,
// decomposed activations, residuals, SE gates, concats, pools, constant operands), optimized in
// both layouts, must compute what they computed before.
import type { Value } from '@goldcrest/core-ir';
import { describe, expect, it } from 'vitest';
import { Builder, expectSameNumerics } from './fixtures.js';
import { optimize } from './optimize.js';
import { opHistogram, rng } from './testing.js';

interface Feat { v: Value; c: number; h: number; w: number }

function randomNet(seed: number) {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const b = new Builder(seed);
  let k = 0;
  const id = (s: string) => `${s}${k++}`;
  let f: Feat = { v: b.input('x', [1, 3, 9, 11]), c: 3, h: 9, w: 11 };
  const history: Feat[] = [];

  const conv = (x: Feat, out: number, opts: { k?: number; s?: number; group?: number } = {}): Feat => {
    const kk = opts.k ?? pick([1, 3]);
    const s = opts.s ?? pick([1, 1, 2]);
    const group = opts.group ?? 1;
    const p = (kk - 1) >> 1;
    const bias = r() < 0.5 ? [b.weight(id('cb'), [out])] : [];
    const v = b.node('Conv2D', [x.v, b.weight(id('w'), [out, x.c / group, kk, kk]), ...bias], { pads: [p, p, p, p], strides: [s, s], group });
    return { v, c: out, h: Math.floor((x.h + 2 * p - kk) / s) + 1, w: Math.floor((x.w + 2 * p - kk) / s) + 1 };
  };
  const same = (x: Feat, v: Value): Feat => ({ ...x, v });
  const bn = (x: Feat) => same(x, b.node('BatchNorm', [x.v, b.weight(id('g'), [x.c], 0.5, 1.5), b.weight(id('b'), [x.c]), b.weight(id('m'), [x.c]), b.weight(id('vr'), [x.c], 0.5, 1.5)]));
  const act = (x: Feat): Feat => {
    switch (pick(['relu', 'relu6', 'clip', 'hswish', 'hswish2', 'hsig', 'sigmoid', 'none'])) {
      case 'relu': return same(x, b.node('Relu', [x.v]));
      case 'relu6': return same(x, b.node('Clip', [x.v], { min: 0, max: 6 }));
      case 'clip': return same(x, b.node('Clip', [x.v], { min: -0.5, max: 0.8 }));
      case 'hswish': return same(x, b.node('Div', [b.node('Mul', [x.v, b.node('Clip', [b.node('Add', [x.v, b.f32(id('three'), [3])])], { min: 0, max: 6 })]), b.f32(id('six'), [6])]));
      case 'hswish2': return same(x, b.node('Mul', [b.node('HardSigmoid', [x.v], { alpha: 1 / 6, beta: 0.5 }), x.v]));
      case 'hsig': return same(x, b.node('HardSigmoid', [x.v], { alpha: 0.2, beta: 0.5 }));
      case 'sigmoid': return same(x, b.node('Sigmoid', [x.v]));
      default: return x;
    }
  };
  const steps = 3 + Math.floor(r() * 5);
  for (let i = 0; i < steps; i++) {
    history.push(f);
    switch (pick(['convbn', 'convbn', 'dw', 'se', 'res', 'const', 'pool', 'concat'])) {
      case 'convbn': f = act(bn(conv(f, pick([4, 6, 8])))); break;
      case 'dw': f = act(bn(conv(f, f.c, { k: 3, group: f.c }))); break;
      case 'se': {
        const g = b.node('GlobalAveragePool', [f.v]);
        const s1 = b.node('Relu', [b.node('Conv2D', [g, b.weight(id('se'), [2, f.c, 1, 1]), b.weight(id('seb'), [2])])]);
        const s2 = b.node('HardSigmoid', [b.node('Conv2D', [s1, b.weight(id('se'), [f.c, 2, 1, 1]), b.weight(id('seb'), [f.c])])], { alpha: 0.2, beta: 0.5 });
        f = same(f, b.node('Mul', [f.v, s2]));
        break;
      }
      case 'res': {
        const y = bn(conv(f, f.c, { s: 1 }));
        f = same(f, r() < 0.5 ? b.node('Add', [f.v, y.v]) : b.node('Add', [y.v, f.v]));
        break;
      }
      case 'const': {
        const c = pick([[f.c, 1, 1], [1, f.c, 1, 1], [1], [f.w]]);
        const opn = pick(['Add', 'Mul', 'Sub', 'Div']);
        const cv = b.weight(id('k'), c, 0.5, 1.5);
        // (no constant / x: x may be exactly 0 after a relu or hardsigmoid)
        f = same(f, r() < 0.5 || opn === 'Div' ? b.node(opn, [f.v, cv]) : b.node(opn, [cv, f.v]));
        break;
      }
      case 'pool': {
        if (f.h < 3 || f.w < 3) break;
        const max = r() < 0.5;
        const v = b.node(max ? 'MaxPool2D' : 'AveragePool2D', [f.v], { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1] });
        f = { v, c: f.c, h: Math.floor((f.h + 1 - 2) / 2) + 1, w: Math.floor((f.w + 1 - 2) / 2) + 1 };
        break;
      }
      case 'concat': {
        const y = act(bn(conv(f, 2, { s: 1 })));
        f = { ...f, v: b.node('Concat', [f.v, y.v], { axis: 1 }), c: f.c + 2 };
        break;
      }
    }
  }
  const outs: Value[] = [f.v];
  if (r() < 0.6) {
    // head: GAP -> flatten via Shape/Slice/Concat -> MatMul + Add -> Softmax
    const g = b.node('GlobalAveragePool', [f.v]);
    const batch = b.node('Slice', [b.node('Shape', [g]), b.i64(id('s'), [0]), b.i64(id('e'), [1])]);
    const flat = b.node('Reshape', [g, b.node('Concat', [batch, b.i64(id('c'), [f.c])], { axis: 0 })]);
    outs[0] = b.node('Softmax', [b.node('Add', [b.node('MatMul', [flat, b.weight(id('fc'), [f.c, 3])]), b.weight(id('fcb'), [3])])]);
    if (r() < 0.5) outs.push(f.v); // a second output in NCHW, read by the head as well
  }
  return b.output(...outs);
}

describe('optimize on random CNNs', () => {
  for (let seed = 1; seed <= 24; seed++) {
    it(`seed ${seed}: same outputs before and after, in both layouts`, () => {
      for (const layout of ['NHWC', 'NCHW'] as const) {
        const g = randomNet(seed);
        expectSameNumerics(g, (gr) => expect(optimize(gr, { layout }).converged).toBe(true), 1e-4, seed);
        const h = opHistogram(g);
        expect(h.BatchNorm ?? 0).toBe(0);
        expect(h.Shape ?? 0).toBe(0);
        expect(h.Relu ?? 0).toBe(0);
        if (layout === 'NCHW') expect(h.Transpose ?? 0).toBe(0);
      }
    });
  }
});
