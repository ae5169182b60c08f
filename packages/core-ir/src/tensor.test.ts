import { describe, expect, it } from 'vitest';
import { allocData, dataMatches, dtypeSize, isBigInt, isDType, isFloat, viewData } from './dtype.js';
import { GoldcrestError } from './errors.js';
import { broadcastShapes, isStatic, normAxis, numel, shapeToString, stridesOf } from './shape.js';
import { Tensor } from './tensor.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof GoldcrestError ? e.code : `not a GoldcrestError: ${String(e)}`;
  }
  return 'no error';
};

describe('Tensor', () => {
  it('converts JS arrays to the dtype storage (int64 to BigInt64Array, bool to bytes)', () => {
    const t = new Tensor('int64', [1, -2, 3], [3]);
    expect(t.data).toBeInstanceOf(BigInt64Array);
    expect(t.toNumbers()).toEqual([1, -2, 3]);
    expect(new Tensor('bool', [true, false, true] as unknown as number[]).data).toEqual(new Uint8Array([1, 0, 1]));
    expect(new Tensor('float16', new Uint16Array([0x3c00]), [1, 1]).dims).toEqual([1, 1]);
    expect(new Tensor('float32', [1, 2, 3]).dims).toEqual([3]); // dims default to 1-D
    expect(Tensor.zeros('uint8', [2, 3]).size).toBe(6);
    expect(new Tensor('string', ['a', 'b'], [2]).size).toBe(2);
  });

  it('rejects unknown types, mismatched storage, bad dims and wrong element counts', () => {
    expect(code(() => new Tensor('float8' as never, [1]))).toBe('E_DTYPE');
    expect(code(() => new Tensor('float32', new Int32Array(2), [2]))).toBe('E_DTYPE');
    expect(code(() => new Tensor('float32', new Float32Array(6), [2, 2]))).toBe('E_SHAPE');
    expect(code(() => new Tensor('float32', new Float32Array(0), [-1]))).toBe('E_SHAPE');
    expect(code(() => new Tensor('float32', new Float32Array(2), [1.5]))).toBe('E_SHAPE');
    expect(code(() => new Tensor('string', ['x'], [1]).toNumbers())).toBe('E_DTYPE');
  });
});

describe('dtype helpers', () => {
  it('sizes, classes and storage', () => {
    expect(dtypeSize('float16')).toBe(2);
    expect(dtypeSize('int64')).toBe(8);
    expect(dtypeSize('bool')).toBe(1);
    expect(dtypeSize('string')).toBe(0);
    expect(isFloat('float16') && !isFloat('int8')).toBe(true);
    expect(isBigInt('uint64') && !isBigInt('int32')).toBe(true);
    expect(isDType('bfloat16')).toBe(false);
    expect(allocData('uint64', 2)).toBeInstanceOf(BigUint64Array);
    expect(dataMatches('float16', new Uint16Array(1))).toBe(true);
    expect(dataMatches('float32', new Float64Array(1))).toBe(false);
  });

  it('viewData views aligned bytes, copies misaligned ones, and rejects partial elements', () => {
    const buf = new Uint8Array(16);
    new Float32Array(buf.buffer).set([1, 2, 3, 4]);
    const aligned = viewData('float32', buf.subarray(4, 12));
    expect(aligned.buffer).toBe(buf.buffer);
    expect(Array.from(aligned as Float32Array)).toEqual([2, 3]);
    const odd = new Uint8Array(9);
    odd.set(buf.subarray(0, 8), 1);
    const copied = viewData('float32', odd.subarray(1));
    expect(copied.buffer).not.toBe(odd.buffer);
    expect(Array.from(copied as Float32Array)).toEqual([1, 2]);
    expect(code(() => viewData('int32', new Uint8Array(6)))).toBe('E_MODEL_FORMAT');
    expect(code(() => viewData('string', new Uint8Array(4)))).toBe('E_DTYPE');
  });
});

describe('shape helpers', () => {
  it('numel, strides, static checks, printing', () => {
    expect(numel([])).toBe(1);
    expect(numel([2, 0, 3])).toBe(0);
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(isStatic([1, 2]) && !isStatic([1, 'N'])).toBe(true);
    expect(shapeToString(['N', 3])).toBe('[N,3]');
  });

  it('broadcastShapes follows numpy and treats symbols as unknown-but-compatible', () => {
    expect(broadcastShapes([[8, 1, 6, 1], [7, 1, 5]], 'w')).toEqual([8, 7, 6, 5]);
    expect(broadcastShapes([[], [3]], 'w')).toEqual([3]);
    expect(broadcastShapes([['N', 1], [1, 4]], 'w')).toEqual(['N', 4]);
    expect(broadcastShapes([['N'], [5]], 'w')).toEqual([5]);
    expect(() => broadcastShapes([[2], [3]], 'node x')).toThrow(/node x: cannot broadcast \[2\] with \[3\] \(dim 0: 2 vs 3\)/);
  });

  it('normAxis accepts negative axes and names the caller on errors', () => {
    expect(normAxis(-1, 4, 'w')).toBe(3);
    expect(() => normAxis(4, 4, "node 'sm'")).toThrow(/node 'sm': axis 4 is out of range for rank 4/);
  });
});
