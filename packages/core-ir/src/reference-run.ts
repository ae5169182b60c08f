/**
 * Scalar reference execution over core-ir graphs: every node through its schema's `evaluate`.
 * Slow, but independent of the native runtime, so passes, frontends and kernels are all tested
 * against the same reference. Also the seeded PRNG and the error measure the tests share.
 */
import { GoldcrestError } from './errors.js';
import type { Graph, Value } from './graph.js';
import { getSchema, resolveAttrs, shapeRange } from './ops/index.js';
import { isStatic } from './shape.js';
import { Tensor } from './tensor.js';

/** Runs `graph` on `feeds` (by input name); returns every graph output by name. */
export function runReference(graph: Graph, feeds: Record<string, Tensor>): Record<string, Tensor> {
  const env = new Map<Value, Tensor>();
  for (const v of graph.inputs) {
    const t = feeds[v.name];
    if (!t) throw new GoldcrestError('E_FEED', `runReference: no feed for graph input '${v.name}'`);
    env.set(v, t);
  }
  const get = (v: Value): Tensor => {
    const t = v.data ?? env.get(v);
    if (!t) throw new GoldcrestError('E_GRAPH', `runReference: value '${v.name}' is read before it is computed`);
    return t;
  };
  for (const node of graph.nodes) {
    const ins = node.inputs.map((v) => (v ? get(v) : undefined));
    const attrs = resolveAttrs(node);
    let outs: Tensor[];
    if (node.op === 'Shape') {
      const [b, e] = shapeRange(ins[0]!.dims.length, attrs.start as number, attrs.end as number);
      outs = [new Tensor('int64', ins[0]!.dims.slice(b, e).map((d) => BigInt(d)), [Math.max(0, e - b)])];
    } else {
      const s = getSchema(node.op);
      if (!s.evaluate) throw new GoldcrestError('E_UNSUPPORTED_OP', `runReference: op ${node.op} (node '${node.name}') has no reference evaluate`);
      outs = s.evaluate(ins, attrs);
    }
    node.outputs.forEach((o, i) => env.set(o, outs[i]));
  }
  return Object.fromEntries(graph.outputs.map((o) => [o.name, get(o)]));
}

/** Deterministic PRNG (mulberry32) returning uniform values in [0, 1), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A float32 tensor with elements uniform in [lo, hi). */
export function randomTensor(dims: number[], rand: () => number, lo = -1, hi = 1): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = lo + (hi - lo) * rand();
  return new Tensor('float32', d, dims);
}

/** Random float32 feeds for every graph input (their shapes must be static). */
export function randomFeeds(graph: Graph, seed = 1): Record<string, Tensor> {
  const rand = rng(seed);
  const feeds: Record<string, Tensor> = {};
  for (const v of graph.inputs) {
    if (!v.shape || !isStatic(v.shape)) throw new GoldcrestError('E_SHAPE', `randomFeeds: input '${v.name}' has no static shape`);
    feeds[v.name] = randomTensor(v.shape, rand);
  }
  return feeds;
}

/**
 * max |a - b| / max(|b|), the error measure the acceptance tests use. Identical elements (equal
 * infinities included) count as no error; a NaN on one side only is an infinite error; different
 * dims are an infinite error.
 */
export function maxRelDiff(a: Tensor, b: Tensor): number {
  if (a.dims.join() !== b.dims.join()) return Infinity;
  const x = a.toNumbers();
  const y = b.toNumbers();
  let diff = 0;
  let mag = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(y[i])) mag = Math.max(mag, Math.abs(y[i]));
    if (x[i] === y[i] || (Number.isNaN(x[i]) && Number.isNaN(y[i]))) continue;
    const d = Math.abs(x[i] - y[i]);
    diff = Math.max(diff, Number.isNaN(d) ? Infinity : d);
  }
  return diff / Math.max(mag, 1e-30);
}
