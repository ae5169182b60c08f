import { Graph, Tensor } from '@goldcrest/core-ir';
import { describe, expect, it } from 'vitest';
import { any, constant, findMatches, matchPattern, op, optional, scalar } from './index.js';

/** x -> Add(x, c=3) -> Relu -> out, plus a second reader of the Add output when `shared`. */
function chain(shared = false) {
  const g = new Graph();
  const x = g.addInput('x', 'float32', [2, 2]);
  const c = g.addConstant('c', new Tensor('float32', [3, 3, 3, 3], [2, 2]));
  const add = g.addNode('Add', [x, c], [{ name: 'a', dtype: 'float32', shape: [2, 2] }]);
  const relu = g.addNode('Relu', [add.outputs[0]], [{ name: 'r', dtype: 'float32', shape: [2, 2] }]);
  g.outputs.push(relu.outputs[0]);
  if (shared) {
    const sig = g.addNode('Sigmoid', [add.outputs[0]], [{ name: 's', dtype: 'float32', shape: [2, 2] }]);
    g.outputs.push(sig.outputs[0]);
  }
  return { g, x, c, add, relu };
}

describe('pattern matching', () => {
  it('matches op, inputs, and captures nodes, values and constants by name', () => {
    const { g, x, c, add, relu } = chain();
    const p = op('Relu', [op('Add', [any('x'), constant('c')], { name: 'add' })], { name: 'relu' });
    const m = matchPattern(p, relu, { graph: g })!;
    expect(m).not.toBeNull();
    expect(m.root).toBe(relu);
    expect(m.nodes.add).toBe(add);
    expect(m.nodes.relu).toBe(relu);
    expect(m.values.x).toBe(x);
    expect(m.values.c).toBe(c);
    expect(m.values.add).toBe(add.outputs[0]);
    expect(m.consts.c.toNumbers()).toEqual([3, 3, 3, 3]);
    expect(m.matched).toEqual([relu, add]);
    // wrong op, wrong input kind
    expect(matchPattern(op('Sigmoid', [any()]), relu, { graph: g })).toBeNull();
    expect(matchPattern(op('Relu', [op('Add', [constant(), any()])]), relu, { graph: g })).toBeNull();
  });

  it('commutative patterns try both operand orders', () => {
    const { g, relu } = chain();
    const swapped = op('Relu', [op('Add', [constant('c'), any('x')])]);
    expect(matchPattern(swapped, relu, { graph: g })).toBeNull();
    const comm = op('Relu', [op('Add', [constant('c'), any('x')], { commutative: true })]);
    expect(matchPattern(comm, relu, { graph: g })?.values.x.name).toBe('x');
  });

  it('a capture name used twice must bind the same value (x * f(x))', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [4]);
    const y = g.addInput('y', 'float32', [4]);
    const hs = g.addNode('HardSigmoid', [x], [{ name: 'h', dtype: 'float32' }]);
    const good = g.addNode('Mul', [x, hs.outputs[0]], [{ name: 'm1', dtype: 'float32' }]);
    const bad = g.addNode('Mul', [y, hs.outputs[0]], [{ name: 'm2', dtype: 'float32' }]);
    const p = op('Mul', [any('x'), op('HardSigmoid', [any('x')])], { commutative: true });
    expect(matchPattern(p, good, { graph: g })?.values.x).toBe(x);
    expect(matchPattern(p, bad, { graph: g })).toBeNull();
  });

  it('singleUse refuses a value that another node (or a graph output) also reads', () => {
    const p = op('Relu', [op('Add', [any(), any()], { singleUse: true })]);
    const a = chain(false);
    expect(matchPattern(p, a.relu, { graph: a.g })).not.toBeNull();
    const b = chain(true);
    expect(matchPattern(p, b.relu, { graph: b.g })).toBeNull();
    const c = chain(false);
    c.g.outputs.push(c.add.outputs[0]);
    expect(matchPattern(p, c.relu, { graph: c.g })).toBeNull();
  });

  it('attribute predicates see schema defaults; where() sees the partial match', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [4]);
    const c1 = g.addNode('Clip', [x], [{ name: 'c1', dtype: 'float32' }], { min: 0, max: 6 });
    const c2 = g.addNode('Clip', [x], [{ name: 'c2', dtype: 'float32' }], { min: 0 });
    const relu6 = op('Clip', [any()], { attrs: (a) => a.min === 0 && a.max === 6 });
    expect(matchPattern(relu6, c1, { graph: g })).not.toBeNull();
    expect(matchPattern(relu6, c2, { graph: g })).toBeNull();
    const unbounded = op('Clip', [any('x')], { attrs: (a) => a.max === Infinity, where: (_n, m) => m.values.x === x });
    expect(matchPattern(unbounded, c2, { graph: g })).not.toBeNull();
  });

  it('constant patterns see initializers and `known` values; scalar() checks every element', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [2]);
    const k = g.addInput('k', 'float32', [2]);
    const six = g.addConstant('six', new Tensor('float32', [6, 6], [2]));
    const d1 = g.addNode('Div', [x, six], [{ name: 'd1', dtype: 'float32' }]);
    const d2 = g.addNode('Div', [x, k], [{ name: 'd2', dtype: 'float32' }]);
    expect(matchPattern(op('Div', [any(), scalar(6)]), d1, { graph: g })).not.toBeNull();
    expect(matchPattern(op('Div', [any(), scalar(5)]), d1, { graph: g })).toBeNull();
    expect(matchPattern(op('Div', [any(), constant()]), d2, { graph: g })).toBeNull();
    const known = new Map([[k, new Tensor('float32', [6, 6], [2])]]);
    expect(matchPattern(op('Div', [any(), scalar(6)]), d2, { graph: g, known })).not.toBeNull();
  });

  it('optional() matches an omitted input or the inner pattern', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [1, 1, 3, 3]);
    const w = g.addConstant('w', Tensor.zeros('float32', [1, 1, 1, 1]));
    const b = g.addInput('b', 'float32', [1]);
    const n1 = g.addNode('Conv2D', [x, w], [{ name: 'y1', dtype: 'float32' }]);
    const n2 = g.addNode('Conv2D', [x, w, b], [{ name: 'y2', dtype: 'float32' }]);
    const p = op('Conv2D', [any(), constant(), optional(constant('b'))]);
    expect(matchPattern(p, n1, { graph: g })).not.toBeNull();
    expect(matchPattern(p, n2, { graph: g })).toBeNull(); // b is a graph input, not constant
    expect(findMatches(g, op('Conv2D', [any('x')])).map((m) => m.root)).toEqual([n1, n2]);
  });

  it('output selects which output of a multi-output producer the edge must be', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [4]);
    // A two-output node (op names are not checked by the matcher; Identity schema is irrelevant here).
    const split = g.addNode('Split2', [x], [{ name: 'lo', dtype: 'float32' }, { name: 'hi', dtype: 'float32' }]);
    const r = g.addNode('Relu', [split.outputs[1]], [{ name: 'r', dtype: 'float32' }]);
    expect(matchPattern(op('Relu', [op('Split2', [], { name: 's' })]), r, { graph: g })).toBeNull();
    const m = matchPattern(op('Relu', [op('Split2', [], { name: 's', output: 1 })]), r, { graph: g })!;
    expect(m.values.s.name).toBe('hi');
  });
});
