import { describe, expect, it } from 'vitest';
import { Graph } from '@goldcrest/core-ir';
import { InferenceSession } from './session.js';
import { randomTensor, referenceRun, relError } from './test-utils.js';

describe('smoke', () => {
  it('conv relu', async () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [1, 8, 8, 3]);
    const w = g.addConstant('w', randomTensor([4, 3, 3, 3], 1));
    const b = g.addConstant('b', randomTensor([4], 2));
    const y = g.addNode('Conv2D', [x, w, b], [{ name: 'y', dtype: 'float32' }], { layout: 'NHWC', pads: [1, 1, 1, 1], activation: 'relu' }).outputs[0];
    g.outputs.push(y);
    const s = await InferenceSession.create(g, { threads: 2 });
    const feeds = { x: randomTensor([1, 8, 8, 3], 3) };
    const out = await s.run(feeds);
    const ref = referenceRun(g, feeds);
    expect(relError(out.y, ref.y)).toBeLessThan(1e-5);
  });
});
