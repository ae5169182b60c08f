import { Graph, Tensor, validateGraph } from '@goldcrest/core-ir';
import { describe, expect, it } from 'vitest';
import { type Rule, any, applyRules, bypass, eliminateDeadCode, op, removeDeadUpstream, replaceNode, scalar } from './index.js';

/** x -> Relu -> Relu -> ... (n times) -> out */
function reluChain(n: number) {
  const g = new Graph();
  let v = g.addInput('x', 'float32', [3]);
  for (let i = 0; i < n; i++) v = g.addNode('Relu', [v], [{ name: `r${i}`, dtype: 'float32', shape: [3] }]).outputs[0];
  g.outputs.push(v);
  return g;
}

// Relu(Relu(x)) -> Relu(x): the inner Relu is bypassed.
const reluIdempotent: Rule = {
  name: 'relu-relu',
  pattern: op('Relu', [op('Relu', [any('x')], { name: 'inner' })], { name: 'outer' }),
  rewrite: (m, g) => {
    m.root.inputs = [m.values.x];
    return g.nodes.includes(m.nodes.inner) && bypassDead(g, m.nodes.inner);
  },
};
function bypassDead(g: Graph, n: import('@goldcrest/core-ir').Node) {
  if (g.consumers(n.outputs[0]).length === 0 && !g.outputs.includes(n.outputs[0])) g.removeNode(n);
  return true;
}

describe('applyRules', () => {
  it('runs to a fixed point and counts applications per rule', () => {
    const g = reluChain(5);
    const r = applyRules(g, [reluIdempotent]);
    expect(r).toEqual({ steps: 4, applied: { 'relu-relu': 4 }, converged: true });
    expect(g.nodes.map((n) => n.op)).toEqual(['Relu']);
    expect(g.outputs[0].name).toBe('r4'); // the output value (and its name) survives
    expect(g.nodes[0].inputs[0]!.name).toBe('x');
    validateGraph(g);
  });

  it('stops at the step limit and reports converged: false', () => {
    const g = reluChain(1);
    // A faulty rule that always "applies": flips the node name forever.
    const flip: Rule = { name: 'flip', pattern: op('Relu'), rewrite: (m) => { m.root.name += '!'; } };
    const r = applyRules(g, [flip], { maxSteps: 7 });
    expect(r).toEqual({ steps: 7, applied: { flip: 7 }, converged: false });
  });

  it('a rewrite returning false does not count and does not loop', () => {
    const g = reluChain(3);
    const never: Rule = { name: 'never', pattern: op('Relu'), rewrite: () => false };
    expect(applyRules(g, [never, reluIdempotent])).toEqual({ steps: 2, applied: { never: 0, 'relu-relu': 2 }, converged: true });
  });

  it('replaceNode keeps output names and order; rules compose (x*3/3 -> x, then Div by 1)', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [2]);
    const three = g.addConstant('three', new Tensor('float32', [3], [1]));
    const m = g.addNode('Mul', [x, three], [{ name: 'm', dtype: 'float32', shape: [2] }]);
    const d = g.addNode('Div', [m.outputs[0], three], [{ name: 'd', dtype: 'float32', shape: [2] }]);
    const s = g.addNode('Sigmoid', [d.outputs[0]], [{ name: 'y', dtype: 'float32', shape: [2] }]);
    g.outputs.push(s.outputs[0]);
    const rules: Rule[] = [
      {
        name: 'mul-div-same-const',
        pattern: op('Div', [op('Mul', [any('x'), any('c')], { singleUse: true, name: 'mul' }), any('c')]),
        rewrite: (mt, gr) => {
          replaceNode(gr, mt.root, 'Identity', [mt.values.x]);
          gr.removeNode(mt.nodes.mul);
        },
      },
      { name: 'identity', pattern: op('Identity', [any('x')]), rewrite: (mt, gr) => bypass(gr, mt.root, mt.values.x) },
    ];
    const r = applyRules(g, rules);
    expect(r.applied).toEqual({ 'mul-div-same-const': 1, identity: 1 });
    expect(g.nodes.map((n) => `${n.op}(${n.inputs.map((v) => v!.name)})`)).toEqual(['Sigmoid(x)']);
    eliminateDeadCode(g);
    expect(g.values.has('three')).toBe(false);
    validateGraph(g);
  });

  it('bypass refuses to rename a graph output', () => {
    const g = reluChain(1);
    const r = applyRules(g, [{ name: 'drop-relu', pattern: op('Relu', [any('x')]), rewrite: (m, gr) => bypass(gr, m.root, m.values.x) }]);
    expect(r.steps).toBe(0);
    expect(g.outputs[0].name).toBe('r0');
  });

  it('detects a cycle created by a faulty rule as a typed error', () => {
    const g = reluChain(2);
    const bad: Rule = {
      name: 'cycle',
      pattern: op('Relu', [op('Relu', [any()], { name: 'a' })], { name: 'b' }),
      rewrite: (m) => { m.nodes.a.inputs = [m.nodes.b.outputs[0]]; },
    };
    expect(() => applyRules(g, [bad], { maxSteps: 1 })).toThrow(expect.objectContaining({ code: 'E_GRAPH' }));
  });

  it('scalar patterns can drive numeric rules (Mul by 1 -> bypass)', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [2]);
    const one = g.addConstant('one', new Tensor('float32', [1, 1], [2]));
    const m = g.addNode('Mul', [one, x], [{ name: 'm', dtype: 'float32', shape: [2] }]);
    g.addNode('Relu', [m.outputs[0]], [{ name: 'y', dtype: 'float32', shape: [2] }]);
    g.outputs.push(g.value('y'));
    const r = applyRules(g, [{ name: 'mul1', pattern: op('Mul', [any('x'), scalar(1)], { commutative: true }), rewrite: (mt, gr) => bypass(gr, mt.root, mt.values.x) }]);
    expect(r.applied.mul1).toBe(1);
    expect(g.nodes[0].inputs[0]).toBe(x);
  });
});

describe('edit helpers', () => {
  it('bypass of a node writing a graph output makes the bypassed producer write that output instead', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [2]);
    const s = g.addNode('Sigmoid', [x], [{ name: 's', dtype: 'float32', shape: [2] }]);
    const id = g.addNode('Identity', [s.outputs[0]], [{ name: 'out', dtype: 'float32', shape: [2] }]);
    g.outputs.push(id.outputs[0]);
    expect(bypass(g, id, s.outputs[0])).toBe(true);
    expect(g.nodes).toEqual([s]);
    expect(s.outputs[0].name).toBe('out');
    expect(g.outputs[0].producer).toBe(s);
    validateGraph(g);
  });

  it('bypass refuses when the replacement has other readers and the output is a graph output', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [2]);
    const s = g.addNode('Sigmoid', [x], [{ name: 's', dtype: 'float32' }]);
    const id = g.addNode('Identity', [s.outputs[0]], [{ name: 'out', dtype: 'float32' }]);
    const r = g.addNode('Relu', [s.outputs[0]], [{ name: 'r', dtype: 'float32' }]);
    g.outputs.push(id.outputs[0], r.outputs[0]);
    expect(bypass(g, id, s.outputs[0])).toBe(false);
    expect(g.nodes).toHaveLength(3);
  });

  it('removeDeadUpstream removes a whole dead chain but not shared producers', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [2, 3]);
    const shared = g.addNode('Relu', [x], [{ name: 'shared', dtype: 'float32' }]);
    const sh = g.addNode('Shape', [shared.outputs[0]], [{ name: 'sh', dtype: 'int64' }]);
    const c = g.addNode('Cast', [sh.outputs[0]], [{ name: 'c', dtype: 'int32' }], { to: 'int32' });
    g.outputs.push(shared.outputs[0]);
    expect(removeDeadUpstream(g, [c])).toBe(2);
    expect(g.nodes).toEqual([shared]);
  });

  it('reinfer: rules see shapes updated by earlier rewrites', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [2, 3]);
    const id = g.addNode('Identity', [x], [{ name: 'i', dtype: 'float32', shape: ['stale'] }]);
    g.addNode('Relu', [id.outputs[0]], [{ name: 'y', dtype: 'float32', shape: ['stale'] }]);
    g.outputs.push(g.value('y'));
    const seen: unknown[] = [];
    const rules: Rule[] = [
      { name: 'identity', pattern: op('Identity', [any('x')]), rewrite: (m, gr) => bypass(gr, m.root, m.values.x) },
      { name: 'look', pattern: op('Relu'), rewrite: (m) => { seen.push(m.root.outputs[0].shape); return false; } },
    ];
    applyRules(g, rules, { reinfer: true });
    expect(seen.at(-1)).toEqual([2, 3]);
  });

  it('known values reach constant() patterns through applyRules', () => {
    const g = new Graph();
    const x = g.addInput('x', 'float32', [2]);
    const k = g.addInput('k', 'float32', [1]);
    const m = g.addNode('Mul', [x, k], [{ name: 'm', dtype: 'float32', shape: [2] }]);
    g.addNode('Relu', [m.outputs[0]], [{ name: 'y', dtype: 'float32', shape: [2] }]);
    g.outputs.push(g.value('y'));
    const rule: Rule = { name: 'mul1', pattern: op('Mul', [any('x'), scalar(1)]), rewrite: (mt, gr) => bypass(gr, mt.root, mt.values.x) };
    expect(applyRules(g, [rule]).steps).toBe(0);
    expect(applyRules(g, [rule], { known: new Map([[k, new Tensor('float32', [1], [1])]]) }).steps).toBe(1);
  });
});
