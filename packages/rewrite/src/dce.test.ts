import { Graph, Tensor, validateGraph } from '@goldcrest/core-ir';
import { describe, expect, it } from 'vitest';
import { eliminateDeadCode, removeIfDead } from './index.js';

describe('eliminateDeadCode', () => {
  it('removes nodes that reach no output, transitively, and prunes their values', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [2]);
    const unused = g.addInput('unused', 'float32', [2]);
    const w = g.addConstant('w', new Tensor('float32', [1, 2], [2]));
    const dead1 = g.addNode('Mul', [x, w], [{ name: 'd1', dtype: 'float32' }]);
    g.addNode('Relu', [dead1.outputs[0]], [{ name: 'd2', dtype: 'float32' }]);
    const live = g.addNode('Sigmoid', [x], [{ name: 'y', dtype: 'float32' }]);
    g.outputs.push(live.outputs[0]);
    const r = eliminateDeadCode(g);
    expect(r).toEqual({ removedNodes: 2, removedValues: 3 }); // d1, d2, w
    expect(g.nodes).toEqual([live]);
    expect([...g.values.keys()].sort()).toEqual(['unused', 'x', 'y']);
    expect(g.inputs).toEqual([x, unused]); // inputs are the interface: kept
    validateGraph(g);
  });

  it('keeps everything feeding any output, including a node with one live and one dead consumer', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [2]);
    const a = g.addNode('Relu', [x], [{ name: 'a', dtype: 'float32' }]);
    const b = g.addNode('Sigmoid', [a.outputs[0]], [{ name: 'b', dtype: 'float32' }]);
    g.addNode('Tanh', [a.outputs[0]], [{ name: 'c', dtype: 'float32' }]);
    g.outputs.push(b.outputs[0]);
    expect(eliminateDeadCode(g).removedNodes).toBe(1);
    expect(g.nodes.map((n) => n.op)).toEqual(['Relu', 'Sigmoid']);
  });

  it('removeIfDead only removes listed nodes that are dead, repeating as they die', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [2]);
    const a = g.addNode('Relu', [x], [{ name: 'a', dtype: 'float32' }]);
    const b = g.addNode('Sigmoid', [a.outputs[0]], [{ name: 'b', dtype: 'float32' }]);
    const c = g.addNode('Tanh', [x], [{ name: 'c', dtype: 'float32' }]);
    g.outputs.push(c.outputs[0]);
    expect(removeIfDead(g, [a, b, c])).toBe(2); // a dies once b is gone; c is an output
    expect(g.nodes).toEqual([c]);
  });
});
