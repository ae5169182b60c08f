import { GoldcrestError } from './errors.js';

/** Element types. Names follow onnxruntime-js's Tensor types so users can switch easily. */
export const DTYPES = [
  'float32', 'float16', 'float64',
  'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64',
  'bool', 'string',
] as const;
export type DType = (typeof DTYPES)[number];

export type TypedArray =
  | Float32Array | Float64Array | Uint16Array
  | Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;
/** Storage for each dtype: float16 is kept as raw bits in a Uint16Array; bool as 0/1 bytes. */
export type TensorData = TypedArray | string[];

type ArrayCtor = { new (n: number): TypedArray; new (b: ArrayBuffer, off: number, len: number): TypedArray; BYTES_PER_ELEMENT: number };

const ARRAY_OF: Record<Exclude<DType, 'string'>, ArrayCtor> = {
  float32: Float32Array, float16: Uint16Array, float64: Float64Array,
  int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array,
  int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array,
  bool: Uint8Array,
};

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}

/** Bytes per element (0 for string). */
export function dtypeSize(dt: DType): number {
  return dt === 'string' ? 0 : ARRAY_OF[dt].BYTES_PER_ELEMENT;
}

export function isFloat(dt: DType): boolean {
  return dt === 'float32' || dt === 'float16' || dt === 'float64';
}

export function isBigInt(dt: DType): boolean {
  return dt === 'int64' || dt === 'uint64';
}

/** A zero-filled array for `n` elements of `dt`. */
export function allocData(dt: DType, n: number): TensorData {
  if (dt === 'string') return new Array<string>(n).fill('');
  return new ARRAY_OF[dt](n);
}

/** A view (no copy) of `bytes` as `dt` elements; copies only when `bytes` is misaligned for the element size. */
export function viewData(dt: DType, bytes: Uint8Array): TypedArray {
  if (dt === 'string') throw new GoldcrestError('E_DTYPE', 'string tensors have no byte view');
  const C = ARRAY_OF[dt];
  const size = C.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0) {
    throw new GoldcrestError('E_MODEL_FORMAT', `${bytes.byteLength} bytes is not a whole number of ${dt} elements`);
  }
  if (bytes.byteOffset % size === 0) return new C(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / size);
  const copy = new Uint8Array(bytes);
  return new C(copy.buffer, 0, bytes.byteLength / size);
}

/** Does `data` have the storage type that `dt` requires? */
export function dataMatches(dt: DType, data: TensorData): boolean {
  if (dt === 'string') return Array.isArray(data);
  return data instanceof ARRAY_OF[dt];
}
