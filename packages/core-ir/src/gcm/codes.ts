// Mapping between core-ir dtypes and the file's DType enum (numbers are frozen in gcm.fbs).
import { DTYPES, type DType } from '../dtype.js';
import { DType as FbDType } from './generated/index.js';

const TO_FILE: Record<DType, FbDType> = {
  float32: FbDType.Float32, float16: FbDType.Float16, float64: FbDType.Float64,
  int8: FbDType.Int8, uint8: FbDType.Uint8, int16: FbDType.Int16, uint16: FbDType.Uint16,
  int32: FbDType.Int32, uint32: FbDType.Uint32, int64: FbDType.Int64, uint64: FbDType.Uint64,
  bool: FbDType.Bool, string: FbDType.String,
};

const FROM_FILE = new Map<number, DType>(DTYPES.map((d) => [TO_FILE[d], d]));

export const dtypeToFile = (d: DType): FbDType => TO_FILE[d];

/** The core-ir dtype of a file enum value, or undefined for Invalid / unknown numbers. */
export const dtypeFromFile = (code: number): DType | undefined => FROM_FILE.get(code);

/** True on every platform Node ships for today; the file is little-endian either way. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of each `size`-byte element (big-endian hosts only). */
export function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) {
    for (let k = 0; k < size; k++) out[i + k] = bytes[i + size - 1 - k];
  }
  return out;
}
