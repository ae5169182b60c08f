import { describe, expect, it } from 'vitest';
import { GoldcrestError } from './errors.js';
import { Graph } from './graph.js';
import { Tensor } from './tensor.js';

function chain() {
  const g = new Graph('g');
  const x = g.addInput('x', 'float32', [4]);
  const a = g.addNode('Relu', [x], [{ name: 'a', dtype: 'float32' }], {}, { name: 'relu' });
  const b = g.addNode('Sigmoid', [a.outputs[0]], [{ name: 'b', dtype: 'float32' }], {}, { name: 'sig' });
  g.outputs = [b.outputs[0]];
  return { g, x, a, b };
}

describe('Graph editing', () => {
  it('makes value and node names unique, and refuses duplicate graph inputs', () => {
    const g = new Graph();
    const v1 = g.addValue('t', 'float32');
    const v2 = g.addValue('t', 'float32');
    expect([v1.name, v2.name]).toEqual(['t', 't_1']);
    expect(() => g.addInput('t', 'float32', [1])).toThrow(GoldcrestError);
    expect(() => g.addInput('t', 'float32', [1])).toThrow(/graph input 't' duplicates an existing value name/);
    const n = g.addNode('Relu', [v1], [{ name: 'y', dtype: 'float32' }], {}, { name: 't' });
    expect(n.name).not.toBe('t'); // the name is taken by a value
    expect(g.value('y').producer).toBe(n);
    expect(() => g.value('nope')).toThrow(/graph 'main' has no value named 'nope'/);
  });

  it('keeps initializers in registration order with their trainable flag', () => {
    const g = new Graph();
    g.addConstant('w2', new Tensor('float32', [1], [1]), { trainable: true });
    g.addInput('x', 'float32', [1]);
    g.addConstant('w1', new Tensor('int64', [1n], [1]));
    expect(g.initializers.map((v) => [v.name, v.trainable, v.dtype, v.shape])).toEqual([['w2', true, 'float32', [1]], ['w1', false, 'int64', [1]]]);
    expect(g.value('w1').isConstant).toBe(true);
    expect(g.value('x').isConstant).toBe(false);
  });

  it('refuses to give a value a second producer', () => {
    const { g, a } = chain();
    expect(() => g.addNode('Relu', [g.value('x')], [a.outputs[0]])).toThrow(/value 'a' already produced by node 'relu'/);
  });

  it('inserts before a node, removes nodes, finds consumers, rewires uses and prunes', () => {
    const { g, x, a, b } = chain();
    const id = g.addNode('Identity', [x], [{ name: 'xi', dtype: 'float32' }], {}, { name: 'id', before: a });
    expect(g.nodes.map((n) => n.name)).toEqual(['id', 'relu', 'sig']);
    expect(g.consumers(a.outputs[0])).toEqual([b]);
    g.replaceAllUses(x, id.outputs[0]);
    expect(a.inputs[0]).toBe(id.outputs[0]);
    g.replaceAllUses(b.outputs[0], a.outputs[0]);
    expect(g.outputs).toEqual([a.outputs[0]]);
    g.removeNode(b);
    expect(b.outputs[0].producer).toBeUndefined();
    expect(() => g.removeNode(b)).toThrow(/node 'sig' is not in graph 'g'/);
    g.pruneValues();
    expect([...g.values.keys()].sort()).toEqual(['a', 'x', 'xi']);
  });

  it('topoSort orders nodes and reports a cycle naming a node on it', () => {
    const { g, a, b } = chain();
    g.nodes = [b, a];
    g.topoSort();
    expect(g.nodes).toEqual([a, b]);
    a.inputs = [b.outputs[0]]; // relu <- sig <- relu
    expect(() => g.topoSort()).toThrow(/graph 'g' has a cycle through node '(relu|sig)'/);
  });

  it('Node.attr falls back to the given default', () => {
    const { a } = chain();
    a.attrs.alpha = 0.5;
    expect(a.attr('alpha', 1)).toBe(0.5);
    expect(a.attr('beta', 2)).toBe(2);
  });
});
