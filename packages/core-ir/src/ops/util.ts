import { type DType, allocData, isBigInt } from '../dtype.js';
import { GoldcrestError, shapeError } from '../errors.js';
import type { Node } from '../graph.js';
import { type Shape, broadcastShapes, isStatic, numel, stridesOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import type { InferContext, InferInput } from './schema.js';

export const where = (node: Node) => `node '${node.name}' (${node.op})`;

/** Input `i`, which the schema says is required. */
export function req(ctx: InferContext, i: number): InferInput {
  const x = ctx.inputs[i];
  if (!x) throw new GoldcrestError('E_GRAPH', `${where(ctx.node)}: input ${i} is required`);
  return x;
}

export function expectDType(ctx: InferContext, i: number, allowed: readonly DType[]): DType {
  const dt = req(ctx, i).dtype;
  if (!allowed.includes(dt)) {
    throw new GoldcrestError('E_DTYPE', `${where(ctx.node)}: input ${i} has dtype ${dt}, expected ${allowed.join(' or ')}`);
  }
  return dt;
}

export function expectRank(ctx: InferContext, i: number, rank: number): Shape | undefined {
  const s = req(ctx, i).shape;
  if (s && s.length !== rank) throw shapeError(`${where(ctx.node)}: input ${i} has rank ${s.length} ${JSON.stringify(s)}, expected rank ${rank}`);
  return s;
}

export const FLOATS: readonly DType[] = ['float32', 'float16', 'float64'];
export const NUMERIC: readonly DType[] = ['float32', 'float16', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'];

/** The constant integer values of input `i` (e.g. a Reshape target), or undefined when not constant. */
export function constInts(ctx: InferContext, i: number): number[] | undefined {
  const v = ctx.inputs[i]?.value;
  return v ? v.toNumbers() : undefined;
}

/** Element-wise map over broadcast inputs, computing in JS numbers or bigints (reference path for small tensors). */
export function broadcastMap(
  inputs: Tensor[],
  outType: DType,
  f: (...xs: (number | bigint)[]) => number | bigint | boolean,
): Tensor {
  const shapes = inputs.map((t) => [...t.dims]);
  const out = broadcastShapes(shapes, 'evaluate') as number[];
  const n = numel(out);
  const data = allocData(outType, n) as unknown as { [i: number]: number | bigint };
  const ostr = stridesOf(out);
  const istr = shapes.map((s) => {
    const st = stridesOf(s);
    return out.map((_, k) => {
      const j = k - (out.length - s.length);
      return j < 0 || s[j] === 1 ? 0 : st[j];
    });
  });
  const big = isBigInt(outType);
  const args = new Array<number | bigint>(inputs.length);
  for (let e = 0; e < n; e++) {
    for (let t = 0; t < inputs.length; t++) {
      let off = 0;
      let r = e;
      for (let k = 0; k < out.length; k++) {
        const q = Math.floor(r / ostr[k]);
        r -= q * ostr[k];
        off += q * istr[t][k];
      }
      args[t] = (inputs[t].data as unknown as { [i: number]: number | bigint })[off];
    }
    const v = f(...args);
    data[e] = big ? BigInt(typeof v === 'boolean' ? Number(v) : v) : Number(v);
  }
  return new Tensor(outType, data as unknown as Float32Array, out);
}

/** Converts an element for storage in `dt` (truncation toward zero for integer targets, like a C cast). */
export function castScalar(v: number | bigint, dt: DType): number | bigint {
  if (dt === 'int64' || dt === 'uint64') return typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
  if (dt === 'bool') return Number(v) !== 0 ? 1 : 0;
  if (dt === 'float32' || dt === 'float64' || dt === 'float16') return Number(v);
  return Math.trunc(Number(v));
}

export function staticShapeOf(t: InferInput | undefined): number[] | undefined {
  return t?.shape && isStatic(t.shape) ? t.shape : undefined;
}
