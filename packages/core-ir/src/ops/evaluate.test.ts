// Reference `evaluate` of the shape/tensor ops (what shape-subgraph folding relies on), run the
// way the IR runs it: constants in a graph, inferShapes({ propagate: true }), hand-computed results.
import { describe, expect, it } from 'vitest';
import { GoldcrestError } from '../errors.js';
import { Graph, type Attrs } from '../graph.js';
import { inferShapes } from '../infer.js';
import { Tensor } from '../tensor.js';

/** Evaluates one node over constant inputs; returns [dims, values as numbers (or strings)]. */
function evalOp(op: string, inputs: (Tensor | null)[], attrs: Attrs = {}): { dims: number[]; type: string; values: unknown[] } {
  const g = new Graph('e');
  const ins = inputs.map((t, i) => (t ? g.addConstant(`c${i}`, t) : null));
  const node = g.addNode(op, ins, [{ name: 'y', dtype: 'float32' }], attrs, { name: 'op' });
  const known = inferShapes(g, { propagate: true });
  const t = known.get(node.outputs[0]);
  if (!t) throw new Error(`${op} was not evaluated`);
  // Output shape inference and evaluation must agree.
  expect(node.outputs[0].shape).toEqual([...t.dims]);
  expect(node.outputs[0].dtype).toBe(t.type);
  return { dims: [...t.dims], type: t.type, values: t.type === 'string' ? [...(t.data as string[])] : t.toNumbers() };
}

const arange = (n: number, dims: number[], type: 'float32' | 'int64' | 'int32' = 'float32') =>
  new Tensor(type, Array.from({ length: n }, (_, i) => (type === 'int64' ? BigInt(i) : i)) as number[], dims);
const i64 = (v: number[]) => new Tensor('int64', v.map(BigInt), [v.length]);

describe('evaluate: slicing and joining', () => {
  it('Slice with a negative step, and on two axes with mixed steps', () => {
    expect(evalOp('Slice', [arange(10, [10]), i64([8]), i64([2]), null, i64([-2])])).toMatchObject({ dims: [3], values: [8, 6, 4] });
    // rows 0 and 2, columns 3..0 reversed
    const r = evalOp('Slice', [arange(12, [3, 4]), i64([0, -1]), i64([3, -5]), i64([0, 1]), i64([2, -1])]);
    expect(r).toMatchObject({ dims: [2, 4], values: [3, 2, 1, 0, 11, 10, 9, 8] });
    // Clamped ends and an empty result
    expect(evalOp('Slice', [arange(5, [5]), i64([1]), i64([2 ** 31 - 1])]).values).toEqual([1, 2, 3, 4]);
    expect(evalOp('Slice', [arange(5, [5]), i64([3]), i64([1])]).dims).toEqual([0]);
  });

  it('Concat on the last and first axis, int64 and strings', () => {
    const a = new Tensor('int64', [1n, 2n], [2, 1]);
    const b = new Tensor('int64', [3n, 4n, 5n, 6n], [2, 2]);
    expect(evalOp('Concat', [a, b], { axis: 1 })).toMatchObject({ dims: [2, 3], type: 'int64', values: [1, 3, 4, 2, 5, 6] });
    expect(evalOp('Concat', [i64([7]), i64([-1, 0])], { axis: 0 }).values).toEqual([7, -1, 0]);
    expect(evalOp('Concat', [new Tensor('string', ['a'], [1]), new Tensor('string', ['b', 'c'], [2])], { axis: -1 }).values).toEqual(['a', 'b', 'c']);
  });

  it('Gather with negative and scalar indices; out-of-range indices are an E_SHAPE error', () => {
    const x = new Tensor('float32', [1, 2, 3, 4, 5, 6], [2, 3]);
    expect(evalOp('Gather', [x, i64([-1, 0])], { axis: 1 })).toMatchObject({ dims: [2, 2], values: [3, 1, 6, 4] });
    expect(evalOp('Gather', [x, new Tensor('int64', [1n], [])])).toMatchObject({ dims: [3], values: [4, 5, 6] });
    expect(() => evalOp('Gather', [x, i64([3])], { axis: 1 })).toThrow(GoldcrestError);
    expect(() => evalOp('Gather', [x, i64([3])], { axis: 1 })).toThrow(/index 3 out of range for axis 1 of size 3/);
  });
});

describe('evaluate: reshaping', () => {
  it('Reshape (0 and -1), Flatten, Squeeze and Unsqueeze keep element order', () => {
    const x = arange(24, [2, 3, 4]);
    const order = Array.from({ length: 24 }, (_, i) => i);
    expect(evalOp('Reshape', [x, i64([0, -1])])).toMatchObject({ dims: [2, 12], values: order });
    expect(evalOp('Flatten', [x], { axis: 1 })).toMatchObject({ dims: [2, 12], values: order });
    expect(evalOp('Unsqueeze', [x], { axes: [1, -1] })).toMatchObject({ dims: [2, 1, 3, 4, 1], values: order });
    expect(evalOp('Squeeze', [arange(3, [1, 3, 1])])).toMatchObject({ dims: [3], values: [0, 1, 2] });
  });

  it('Transpose matches an independent index loop', () => {
    const x = arange(24, [2, 3, 4]);
    const r = evalOp('Transpose', [x], { perm: [2, 0, 1] });
    expect(r.dims).toEqual([4, 2, 3]);
    const want: number[] = [];
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want.push(i * 12 + j * 4 + k);
    expect(r.values).toEqual(want);
    expect(evalOp('Transpose', [new Tensor('float32', [1, 2, 3, 4, 5, 6], [2, 3])])).toMatchObject({ dims: [3, 2], values: [1, 4, 2, 5, 3, 6] });
  });

  it('Identity passes data through', () => {
    expect(evalOp('Identity', [i64([4, 5])]).values).toEqual([4, 5]);
  });
});

describe('evaluate: casts and arithmetic', () => {
  it('Cast truncates toward zero, widens to int64, maps to bool', () => {
    const x = new Tensor('float32', [-1.7, 2.9, 0, 3], [4]);
    expect(evalOp('Cast', [x], { to: 'int32' })).toMatchObject({ type: 'int32', values: [-1, 2, 0, 3] });
    const big = evalOp('Cast', [x], { to: 'int64' });
    expect(big).toMatchObject({ type: 'int64', values: [-1, 2, 0, 3] });
    expect(evalOp('Cast', [x], { to: 'bool' }).values).toEqual([1, 1, 0, 1]);
    expect(evalOp('Cast', [i64([5, -2])], { to: 'float32' })).toMatchObject({ type: 'float32', values: [5, -2] });
  });

  it('Add/Sub/Mul/Div broadcast; integer Div truncates (int32 and int64)', () => {
    const col = new Tensor('float32', [1, 2], [2, 1]);
    const row = new Tensor('float32', [10, 20, 30], [3]);
    expect(evalOp('Add', [col, row])).toMatchObject({ dims: [2, 3], values: [11, 21, 31, 12, 22, 32] });
    expect(evalOp('Sub', [col, row]).values).toEqual([-9, -19, -29, -8, -18, -28]);
    expect(evalOp('Mul', [col, row]).values).toEqual([10, 20, 30, 20, 40, 60]);
    expect(evalOp('Div', [new Tensor('int32', [-7, 7], [2]), new Tensor('int32', [2], [1])]).values).toEqual([-3, 3]);
    expect(evalOp('Div', [i64([-7, 9]), i64([2])])).toMatchObject({ type: 'int64', values: [-3, 4] });
    expect(evalOp('Mul', [i64([3]), i64([2 ** 40])]).values).toEqual([3 * 2 ** 40]);
  });
});
