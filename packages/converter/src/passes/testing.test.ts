import { Graph, Tensor } from '@goldcrest/core-ir';
import { describe, expect, it } from 'vitest';
import { maxRelDiff, randomFeeds, runReference } from './testing.js';

const f = (xs: number[]) => new Tensor('float32', Float32Array.from(xs), [xs.length]);

describe('reference interpreter helpers', () => {
  it('maxRelDiff: relative to the largest finite magnitude; equal infinities agree, one-sided NaN does not', () => {
    expect(maxRelDiff(f([1, 2, 4.5]), f([1, 2, 4]))).toBeCloseTo(0.125, 7);
    expect(maxRelDiff(f([Infinity, 1]), f([Infinity, 1]))).toBe(0);
    expect(maxRelDiff(f([NaN, 1]), f([NaN, 1]))).toBe(0);
    expect(maxRelDiff(f([NaN, 1]), f([0, 1]))).toBe(Infinity);
    expect(maxRelDiff(f([1, 2]), new Tensor('float32', [1, 2], [1, 2]))).toBe(Infinity);
  });

  it('runReference evaluates Shape from the runtime tensor and reports missing feeds / ops without evaluate', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', ['N', 2]);
    g.outputs.push(g.addNode('Shape', [x], [{ name: 's', dtype: 'int64' }]).outputs[0]);
    expect(runReference(g, { x: new Tensor('float32', [1, 2, 3, 4, 5, 6], [3, 2]) }).s.toNumbers()).toEqual([3, 2]);
    expect(() => runReference(g, {})).toThrow(expect.objectContaining({ code: 'E_FEED' }));
    expect(() => randomFeeds(g)).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
  });
});
