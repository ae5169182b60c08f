import { Graph, Tensor, inferShapes } from '@goldcrest/core-ir';
import { describe, expect, it } from 'vitest';
import { fmtBytes, fmtCount, latencyStats, modelStats, nodeMacs } from './stats.js';
import { randomTensorOf, rng } from './random.js';

function smallNet(layout: 'NCHW' | 'NHWC', n: number | string = 2): Graph {
  const g = new Graph('t');
  const x = g.addInput('x', 'float32', layout === 'NCHW' ? [n, 8, 10, 12] : [n, 10, 12, 8]);
  // grouped 3x3 conv, 8 -> 16 channels, group 2, stride 2, pads 1: output 5x6
  const wDims = layout === 'NCHW' ? [16, 4, 3, 3] : [16, 3, 3, 4];
  const w = g.addConstant('w', new Tensor('float32', new Float32Array(16 * 4 * 9), wDims));
  const b = g.addConstant('b', new Tensor('float32', new Float32Array(16), [16]));
  const y = g.addValue('y', 'float32');
  g.addNode('Conv2D', [x, w, b], [y], { layout, group: 2, strides: [2, 2], pads: [1, 1, 1, 1] });
  const k = layout === 'NCHW' ? 6 : 16; // last dim of y: [2,16,5,6] or [2,5,6,16]
  const m = g.addConstant('m', new Tensor('float32', new Float32Array(k * 7), [k, 7]));
  const z = g.addValue('z', 'float32');
  g.addNode('MatMul', [y, m], [z]);
  g.outputs.push(z);
  inferShapes(g);
  return g;
}

describe('modelStats', () => {
  for (const layout of ['NCHW', 'NHWC'] as const) {
    it(`counts params and MACs by hand (${layout})`, () => {
      const g = smallNet(layout);
      const conv = 2 * 5 * 6 * 16 * 3 * 3 * 4; // N*OH*OW*O*KH*KW*(I/g)
      // MatMul batch*M*N*K: y [2,16,5,6] x m [6,7] (NCHW) or y [2,5,6,16] x m [16,7] (NHWC)
      const mm = layout === 'NCHW' ? 2 * 16 * 5 * 7 * 6 : 2 * 5 * 6 * 7 * 16;
      expect(nodeMacs(g.nodes[0])).toBe(conv);
      expect(nodeMacs(g.nodes[1])).toBe(mm);
      const s = modelStats(g);
      expect(s.params).toBe(16 * 4 * 9 + 16 + (layout === 'NCHW' ? 6 : 16) * 7);
      expect(s.paramBytes).toBe(s.params * 4);
      expect(s.macs).toBe(conv + mm);
      expect(s.ops).toEqual({ Conv2D: 1, MatMul: 1 });
      expect(s.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: layout === 'NCHW' ? [2, 8, 10, 12] : [2, 10, 12, 8] }]);
    });
  }
  it('reports unknown MACs for symbolic batch', () => {
    const s = modelStats(smallNet('NCHW', 'N'));
    expect(s.macs).toBeNull();
    expect(s.macsUnknown.length).toBe(2);
  });
});

describe('formatting and random feeds', () => {
  it('formats counts and bytes', () => {
    expect(fmtCount(999)).toBe('999');
    expect(fmtCount(12_345)).toBe('12.3K');
    expect(fmtCount(2_500_000)).toBe('2.50M');
    expect(fmtBytes(2048)).toBe('2.0 KiB');
  });
  it('seeded random tensors are reproducible and in range', () => {
    const a = randomTensorOf('float32', [3, 100], rng(7));
    const b = randomTensorOf('float32', [3, 100], rng(7));
    expect(a.data).toEqual(b.data);
    expect(Math.max(...(a.data as Float32Array))).toBeLessThan(1);
    expect(Math.min(...(a.data as Float32Array))).toBeGreaterThanOrEqual(-1);
    expect(randomTensorOf('float32', [5], rng(8)).data).not.toEqual(randomTensorOf('float32', [5], rng(7)).data);
    const i = randomTensorOf('int64', [50], rng(1));
    expect((i.data as BigInt64Array).every((v) => v >= 0n && v < 10n)).toBe(true);
  });
  it('latencyStats', () => {
    expect(latencyStats([5, 1, 3, 2, 4, 6, 7, 8, 9, 10])).toEqual({ median: 5.5, min: 1, p90: 9, mean: 5.5, max: 10 });
    expect(latencyStats([2]).p90).toBe(2);
  });
});
