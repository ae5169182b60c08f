import { type DType, GoldcrestError } from '@goldcrest/core-ir';

/** Native element type codes (ONNX TensorProto numbering; mirrors gc::DType in native/runtime/plan.h). */
export const DTYPE_CODE: Partial<Record<DType, number>> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7,
  bool: 9, float16: 10, float64: 11, uint32: 12, uint64: 13,
};

export function dtypeCode(dt: DType, what: string): number {
  const c = DTYPE_CODE[dt];
  if (c === undefined) throw new GoldcrestError('E_DTYPE', `${what}: dtype ${dt} cannot be held by the native runtime`);
  return c;
}
