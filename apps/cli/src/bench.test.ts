import { Graph } from '@goldcrest/core-ir';
import { describe, expect, it } from 'vitest';
import { fillFreeDims } from './commands/bench.js';

/** x [N, 3, H, W] -> MaxPool2D 4x4 stride 4: spatial dims below 4 cannot run. */
function poolNet(): Graph {
  const g = new Graph('pool');
  const x = g.addInput('x', 'float32', ['N', 3, 'H', 'W']);
  const y = g.addNode('MaxPool2D', [x], [{ name: 'y', dtype: 'float32' }], { kernel: [4, 4], strides: [4, 4] }).outputs[0];
  g.outputs.push(y);
  return g;
}

describe('bench free-dim filling', () => {
  it('sets a leading free dim to 1 and doubles the others until the graph infers', () => {
    const shapes: Record<string, number[]> = {};
    const filled = fillFreeDims(poolNet(), shapes);
    expect(shapes.x).toEqual([1, 3, 4, 4]);
    expect(filled).toEqual(['x[0] N=1', 'x[2] H=4', 'x[3] W=4']);
  });

  it('leaves pinned inputs and static models alone', () => {
    const shapes: Record<string, number[]> = { x: [2, 3, 8, 8] };
    expect(fillFreeDims(poolNet(), shapes)).toEqual([]);
    expect(shapes.x).toEqual([2, 3, 8, 8]);
    const g = new Graph('static');
    g.outputs.push(g.addInput('a', 'float32', [1, 2]));
    expect(fillFreeDims(g, {})).toEqual([]);
  });
});
