// f32 binary element-wise ops, avx2: the generic body in simd-impl.h on V256.
#include "../avx2-common.h"
#include "simd-impl.h"

namespace gc {

void f32_vbinary_avx2(BinOp op, BinMode mode, size_t n, const float* a, const float* b, float* y) {
  VBinary<V256>(op, mode, n, a, b, y);
}

}  // namespace gc
