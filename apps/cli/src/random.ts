// Seeded random feeds, so two bench runs (or Goldcrest vs a peer) see the same inputs.
import { type DType, Tensor, allocData, numel } from '@goldcrest/core-ir';

export { rng } from '@goldcrest/core-ir';

/** float -> IEEE half bits (round to nearest; enough for test data in [-1, 1]). */
export function floatToHalf(f: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, f);
  const x = b.getUint32(0);
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  if (exp <= 0) return sign; // flush tiny values to zero
  if (exp >= 31) return sign | 0x7c00;
  // Round to nearest by adding the first dropped bit; a carry correctly bumps the exponent.
  return sign | (((exp << 10) | ((x >>> 13) & 0x3ff)) + ((x >>> 12) & 1));
}

/** A tensor of random values: floats uniform in [-1, 1), integers in [0, 10), bools 0/1. */
export function randomTensorOf(dtype: DType, dims: readonly number[], next: () => number): Tensor {
  const n = numel(dims);
  const data = allocData(dtype, n) as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < n; i++) {
    const u = next();
    switch (dtype) {
      case 'float32': case 'float64': data[i] = u * 2 - 1; break;
      case 'float16': data[i] = floatToHalf(u * 2 - 1); break;
      case 'bool': data[i] = u < 0.5 ? 0 : 1; break;
      case 'int64': case 'uint64': data[i] = BigInt(Math.floor(u * 10)); break;
      case 'string': throw new Error('unreachable');
      default: data[i] = Math.floor(u * 10);
    }
  }
  return new Tensor(dtype, data as never, dims);
}
