// Helpers for this package's tests: a scalar reference executor over core-ir's reference
// `evaluate` functions, seeded random tensors and error metrics. Not exported from index.ts.
import { type Graph, GoldcrestError, Tensor, type Value, getSchema, resolveAttrs } from '@goldcrest/core-ir';
import { supportedIsas } from './native.js';
import { ISAS, type Isa } from './session.js';

/** Runs `graph` node by node with the core-ir reference evaluators (independent of the native code). */
export function referenceRun(graph: Graph, feeds: Record<string, Tensor>): Record<string, Tensor> {
  const env = new Map<Value, Tensor>();
  for (const v of graph.inputs) env.set(v, feeds[v.name]);
  const get = (v: Value) => {
    const t = v.data ?? env.get(v);
    if (!t) throw new GoldcrestError('E_INTERNAL', `reference: value '${v.name}' not computed`);
    return t;
  };
  for (const n of graph.nodes) {
    const s = getSchema(n.op);
    if (n.op === 'Shape') {
      const d = get(n.inputs[0]!).dims;
      env.set(n.outputs[0], new Tensor('int64', d.map((x) => BigInt(x)), [d.length]));
      continue;
    }
    const outs = s.evaluate!(n.inputs.map((v) => (v ? get(v) : undefined)), resolveAttrs(n));
    n.outputs.forEach((o, i) => env.set(o, outs[i]));
  }
  return Object.fromEntries(graph.outputs.map((o) => [o.name, get(o)]));
}

/** Deterministic uniform values in [lo, hi) (mulberry32). */
export function randomFloats(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

export function randomTensor(dims: number[], seed: number, lo = -1, hi = 1): Tensor {
  return new Tensor('float32', randomFloats(dims.reduce((a, b) => a * b, 1), seed, lo, hi), dims);
}

/** max |a - b| / max(max |ref|, tiny): the relative error measure used throughout. */
export function relError(got: Tensor, ref: Tensor): number {
  if (got.dims.join() !== ref.dims.join()) throw new Error(`dims differ: got [${got.dims}] ref [${ref.dims}]`);
  const a = got.data as ArrayLike<number>;
  const b = ref.data as ArrayLike<number>;
  let diff = 0;
  let mag = 1e-12;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(Number(a[i]) - Number(b[i])));
    mag = Math.max(mag, Math.abs(Number(b[i])));
  }
  return Number.isNaN(diff) ? Infinity : diff / mag;
}

/** ISAs to test: every ISA, marked available or not on this machine. */
export function isaMatrix(): { isa: Isa; available: boolean }[] {
  const have = supportedIsas();
  return ISAS.map((isa) => ({ isa, available: have.includes(isa) }));
}
