// Helpers for this package's tests: seeded random tensors and the ISA matrix. The reference
// executor (runReference) and the error measure (maxRelDiff) come from core-ir. Not exported from index.ts.
import { type Tensor, randomTensor as coreRandomTensor, rng } from '@goldcrest/core-ir';
import { supportedIsas } from './native.js';
import { ISAS, type Isa } from './session.js';

/** Deterministic uniform values in [lo, hi) from core-ir's seeded PRNG. */
export function randomFloats(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  return randomTensor([n], seed, lo, hi).data as Float32Array;
}

export function randomTensor(dims: number[], seed: number, lo = -1, hi = 1): Tensor {
  return coreRandomTensor(dims, rng(seed), lo, hi);
}

/** ISAs to test: every ISA, marked available or not on this machine. */
export function isaMatrix(): { isa: Isa; available: boolean }[] {
  const have = supportedIsas();
  return ISAS.map((isa) => ({ isa, available: have.includes(isa) }));
}
