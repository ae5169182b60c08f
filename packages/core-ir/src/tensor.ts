import { type DType, type TensorData, allocData, dataMatches, isDType } from './dtype.js';
import { GoldcrestError } from './errors.js';
import { numel } from './shape.js';

/**
 * A dense tensor with a static shape: graph initializers, session feeds and outputs all use it.
 * Constructed like onnxruntime-js: `new Tensor('float32', data, [1, 3, 48, 192])`.
 */
export class Tensor {
  readonly type: DType;
  readonly data: TensorData;
  readonly dims: readonly number[];

  constructor(type: DType, data: TensorData | number[] | bigint[], dims?: readonly number[]) {
    if (!isDType(type)) throw new GoldcrestError('E_DTYPE', `unknown tensor type '${String(type)}'`);
    const d = dims ?? [Array.isArray(data) ? data.length : (data as TensorData).length];
    for (const x of d) {
      if (!Number.isInteger(x) || x < 0) throw new GoldcrestError('E_SHAPE', `tensor dims ${JSON.stringify(d)}: every dim must be a non-negative integer`);
    }
    let arr: TensorData;
    if (Array.isArray(data) && type !== 'string') {
      arr = allocData(type, data.length);
      const t = arr as unknown as { [i: number]: number | bigint };
      for (let i = 0; i < data.length; i++) {
        const v = data[i] as number | bigint | boolean;
        t[i] = type === 'int64' || type === 'uint64' ? BigInt(v as number) : Number(v);
      }
    } else {
      arr = data as TensorData;
    }
    if (!dataMatches(type, arr)) {
      throw new GoldcrestError('E_DTYPE', `tensor of type ${type} cannot hold a ${arr.constructor.name}`);
    }
    if (arr.length !== numel(d)) {
      throw new GoldcrestError('E_SHAPE', `tensor dims [${d.join(',')}] need ${numel(d)} elements, data has ${arr.length}`);
    }
    this.type = type;
    this.data = arr;
    this.dims = [...d];
  }

  get size(): number { return this.data.length; }

  /** A zero-filled tensor. */
  static zeros(type: DType, dims: readonly number[]): Tensor {
    return new Tensor(type, allocData(type, numel(dims)), dims);
  }

  /** Elements as JS numbers (int64 converted; for small shape tensors and tests). */
  toNumbers(): number[] {
    if (this.type === 'string') throw new GoldcrestError('E_DTYPE', 'string tensor has no numeric values');
    return Array.from(this.data as ArrayLike<number | bigint>, (v) => Number(v));
  }
}
