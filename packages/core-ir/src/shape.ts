import { shapeError } from './errors.js';

/** A dimension: a known size, or a symbol (e.g. 'N', 'height') bound at run time. */
export type Dim = number | string;
export type Shape = Dim[];

export const isStatic = (s: Shape): s is number[] => s.every((d) => typeof d === 'number');

/** Element count of a static shape (1 for a scalar). */
export function numel(s: readonly number[]): number {
  let n = 1;
  for (const d of s) n *= d;
  return n;
}

export const shapeToString = (s: Shape) => `[${s.join(',')}]`;

/** Normalises a possibly negative axis against `rank`, with a clear error naming `what`. */
export function normAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw shapeError(`${what}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Numpy-style broadcast of several shapes; symbols broadcast against 1 or themselves. */
export function broadcastShapes(shapes: Shape[], what: string): Shape {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      if (k < 0) continue;
      const e = s[k];
      if (e === 1) continue;
      if (d === 1 || d === e) { d = e; continue; }
      if (typeof d === 'string' || typeof e === 'string') { d = typeof d === 'number' ? d : e; continue; }
      throw shapeError(`${what}: cannot broadcast ${shapes.map(shapeToString).join(' with ')} (dim ${i}: ${d} vs ${e})`);
    }
    out.push(d);
  }
  return out;
}

/** Row-major strides of a static shape. */
export function stridesOf(s: readonly number[]): number[] {
  const st = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) { st[i] = acc; acc *= s[i]; }
  return st;
}
