// f32 binary element-wise ops, avx512: the generic body in simd-impl.h on V512.
#include "../avx512-common.h"
#include "simd-impl.h"

namespace gc {

void f32_vbinary_avx512(BinOp op, BinMode mode, size_t n, const float* a, const float* b, float* y) {
  VBinary<V512>(op, mode, n, a, b, y);
}

}  // namespace gc
