// Seeded random feeds, so two bench runs (or Goldcrest vs a peer) see the same inputs.
import { type DType, Tensor, allocData, floatToHalfBits, numel } from '@goldcrest/core-ir';

export { rng } from '@goldcrest/core-ir';

/** A tensor of random values: floats uniform in [-1, 1), integers in [0, 10), bools 0/1. */
export function randomTensorOf(dtype: DType, dims: readonly number[], next: () => number): Tensor {
  const n = numel(dims);
  const data = allocData(dtype, n) as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < n; i++) {
    const u = next();
    switch (dtype) {
      case 'float32': case 'float64': data[i] = u * 2 - 1; break;
      case 'float16': data[i] = floatToHalfBits(u * 2 - 1); break;
      case 'bool': data[i] = u < 0.5 ? 0 : 1; break;
      case 'int64': case 'uint64': data[i] = BigInt(Math.floor(u * 10)); break;
      case 'string': throw new Error('unreachable');
      default: data[i] = Math.floor(u * 10);
    }
  }
  return new Tensor(dtype, data as never, dims);
}
