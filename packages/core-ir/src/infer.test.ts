import { describe, expect, it } from 'vitest';
import { GoldcrestError } from './errors.js';
import { Graph } from './graph.js';
import { inferShapes, validateGraph } from './infer.js';
import { Tensor } from './tensor.js';

const i64 = (v: number[], dims = [v.length]) => new Tensor('int64', v.map(BigInt), dims);

function codeAndMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GoldcrestError);
    return `${(e as GoldcrestError).code}: ${(e as Error).message}`;
  }
  return 'no error';
}

describe('inferShapes({ propagate: true })', () => {
  /** x -> Shape -> Slice[0:1] -> Concat with [-1] -> Reshape(x, ...): the usual "flatten keeping batch" subgraph. */
  function flattenSubgraph(xShape: (number | string)[]) {
    const g = new Graph('fold');
    const x = g.addInput('x', 'float32', xShape);
    const shape = g.addNode('Shape', [x], [{ name: 'shape', dtype: 'int64' }], {}, { name: 'shape' });
    const batch = g.addNode('Slice', [shape.outputs[0], g.addConstant('s0', i64([0])), g.addConstant('e1', i64([1]))], [{ name: 'batch', dtype: 'int64' }], {}, { name: 'slice' });
    const target = g.addNode('Concat', [batch.outputs[0], g.addConstant('minus1', i64([-1]))], [{ name: 'target', dtype: 'int64' }], { axis: 0 }, { name: 'concat' });
    const y = g.addNode('Reshape', [x, target.outputs[0]], [{ name: 'y', dtype: 'float32' }], {}, { name: 'reshape' });
    g.outputs = [y.outputs[0]];
    return { g, shape, batch, target, y };
  }

  it('folds Shape -> Slice -> Concat -> Reshape to a static shape', () => {
    const { g, shape, batch, target, y } = flattenSubgraph([1, 3, 48, 192]);
    const known = inferShapes(g, { propagate: true });
    expect(known.get(shape.outputs[0])!.toNumbers()).toEqual([1, 3, 48, 192]);
    expect(known.get(batch.outputs[0])!.toNumbers()).toEqual([1]);
    expect(known.get(target.outputs[0])!.toNumbers()).toEqual([1, -1]);
    expect(known.get(target.outputs[0])!.type).toBe('int64');
    expect(y.outputs[0].shape).toEqual([1, 3 * 48 * 192]);
    expect(known.has(y.outputs[0])).toBe(false); // x has no data: Reshape itself is not folded
  });

  it('without propagate, the Reshape target stays unknown', () => {
    const { g, y } = flattenSubgraph([1, 3, 48, 192]);
    expect(inferShapes(g).size).toBe(0);
    expect(y.outputs[0].shape).toBeUndefined();
  });

  it('leaves the chain unfolded when the input shape is symbolic', () => {
    const { g, shape, y } = flattenSubgraph(['N', 3, 48, 192]);
    const known = inferShapes(g, { propagate: true });
    expect(known.has(shape.outputs[0])).toBe(false);
    expect(y.outputs[0].shape).toBeUndefined();
  });

  it('folds a Shape -> Gather -> Cast -> Unsqueeze -> Concat chain (the PP-OCR head pattern)', () => {
    const g = new Graph('fold2');
    const x = g.addInput('x', 'float32', [2, 200, 1, 1]);
    const s = g.addNode('Shape', [x], [{ name: 's', dtype: 'int64' }]);
    const n = g.addNode('Gather', [s.outputs[0], g.addConstant('zero', i64([0], []))], [{ name: 'n', dtype: 'int64' }], { axis: 0 });
    const c = g.addNode('Cast', [n.outputs[0]], [{ name: 'nc', dtype: 'int32' }], { to: 'int32' });
    const back = g.addNode('Cast', [c.outputs[0]], [{ name: 'n64', dtype: 'int64' }], { to: 'int64' });
    const u = g.addNode('Unsqueeze', [back.outputs[0]], [{ name: 'u', dtype: 'int64' }], { axes: [0] });
    const t = g.addNode('Concat', [u.outputs[0], g.addConstant('rest', i64([-1]))], [{ name: 't', dtype: 'int64' }], { axis: 0 });
    const r = g.addNode('Reshape', [x, t.outputs[0]], [{ name: 'r', dtype: 'float32' }]);
    const known = inferShapes(g, { propagate: true });
    expect(known.get(n.outputs[0])!.dims).toEqual([]);
    expect(known.get(u.outputs[0])!.toNumbers()).toEqual([2]);
    expect(r.outputs[0].shape).toEqual([2, 200]);
  });

  it('respects maxElements', () => {
    const g = new Graph('big');
    const a = g.addConstant('a', new Tensor('float32', new Float32Array(100), [100]));
    const add = g.addNode('Add', [a, a], [{ name: 'b', dtype: 'float32' }]);
    expect(inferShapes(g, { propagate: true, maxElements: 10 }).has(add.outputs[0])).toBe(false);
    expect(inferShapes(g, { propagate: true }).get(add.outputs[0])!.dims).toEqual([100]);
  });
});

describe('validateGraph', () => {
  function base() {
    const g = new Graph('v');
    const x = g.addInput('x', 'float32', [1, 3, 8, 8]);
    const w = g.addConstant('w', new Tensor('float32', new Float32Array(4 * 3 * 9), [4, 3, 3, 3]));
    return { g, x, w };
  }

  it('accepts a well-formed graph', () => {
    const { g, x, w } = base();
    g.addNode('Conv2D', [x, w, null], [{ name: 'y', dtype: 'float32' }], { pads: [1, 1, 1, 1] }, { name: 'conv1' });
    g.outputs = [g.value('y')];
    expect(() => validateGraph(g)).not.toThrow();
  });

  it('names the node for a missing required input and for too few / too many inputs', () => {
    const { g, x } = base();
    g.addNode('Conv2D', [x, null], [{ name: 'y', dtype: 'float32' }], {}, { name: 'conv1' });
    expect(codeAndMessage(() => validateGraph(g))).toBe("E_GRAPH: node 'conv1' (Conv2D): required input 1 'W' is missing");
    const h = base();
    h.g.addNode('Add', [h.x], [{ name: 'y', dtype: 'float32' }], {}, { name: 'add1' });
    expect(codeAndMessage(() => validateGraph(h.g))).toBe("E_GRAPH: node 'add1' (Add) has 1 inputs, schema expects 2..2");
    const k = base();
    k.g.addNode('Relu', [k.x, k.x], [{ name: 'y', dtype: 'float32' }], {}, { name: 'act' });
    expect(codeAndMessage(() => validateGraph(k.g))).toMatch(/^E_GRAPH: node 'act' \(Relu\) has 2 inputs, schema expects 1\.\.1$/);
  });

  it('names the node whose input is not produced before it', () => {
    const { g, x } = base();
    const first = g.addNode('Relu', [x], [{ name: 'a', dtype: 'float32' }], {}, { name: 'first' });
    const second = g.addNode('Relu', [first.outputs[0]], [{ name: 'b', dtype: 'float32' }], {}, { name: 'second' });
    g.nodes = [second, first];
    expect(codeAndMessage(() => validateGraph(g))).toBe("E_GRAPH: node 'second' (Relu): input 0 'a' is not produced before this node");
    g.topoSort();
    expect(() => validateGraph(g)).not.toThrow();
  });

  it('names the node and attribute for unknown, ill-typed, out-of-set and missing attributes', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['Relu', { foo: 1 }, /^E_ATTR: node 'n' \(Relu\): unknown attribute 'foo' \(known: none\)$/],
      ['Conv2D', { group: 'x' }, /^E_ATTR: node 'n' \(Conv2D\): attribute 'group' must be int, got "x"$/],
      ['Conv2D', { group: 1.5 }, /attribute 'group' must be int, got 1\.5/],
      ['Conv2D', { layout: 'NCWH' }, /^E_ATTR: node 'n' \(Conv2D\): attribute 'layout' is 'NCWH', expected one of NCHW, NHWC$/],
      ['Conv2D', { pads: [1, 'a'] }, /attribute 'pads' must be ints/],
      ['MaxPool2D', {}, /^E_ATTR: node 'n' \(MaxPool2D\): required attribute 'kernel' is missing$/],
    ];
    for (const [op, attrs, re] of cases) {
      const { g, x, w } = base();
      g.addNode(op, op === 'Conv2D' ? [x, w] : [x], [{ name: 'y', dtype: 'float32' }], attrs as never, { name: 'n' });
      expect(codeAndMessage(() => validateGraph(g))).toMatch(re);
    }
  });

  it('rejects unknown ops and unproduced graph outputs', () => {
    const { g, x } = base();
    g.addNode('FancyOp', [x], [{ name: 'y', dtype: 'float32' }], {}, { name: 'fancy' });
    expect(codeAndMessage(() => validateGraph(g))).toMatch(/^E_UNSUPPORTED_OP: node 'fancy': op 'FancyOp' has no core-ir schema/);
    const h = base();
    h.g.outputs = [h.g.addValue('dangling', 'float32')];
    expect(codeAndMessage(() => validateGraph(h.g))).toBe("E_GRAPH: graph output 'dangling' is not produced by any node");
  });

  it('inferShapes reports shape errors naming the node', () => {
    const { g, x } = base();
    const bad = g.addConstant('bad', new Tensor('float32', new Float32Array(4 * 2 * 9), [4, 2, 3, 3]));
    g.addNode('Conv2D', [x, bad], [{ name: 'y', dtype: 'float32' }], {}, { name: 'conv7' });
    expect(codeAndMessage(() => inferShapes(g))).toMatch(/^E_SHAPE: node 'conv7' \(Conv2D\): input has 3 channels/);
  });
});
