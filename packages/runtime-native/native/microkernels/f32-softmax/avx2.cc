// f32 row softmax, avx2: the generic body in simd-impl.h on V256.
#include "../avx2-common.h"
#include "simd-impl.h"

namespace gc {

void f32_softmax_avx2(size_t rows, size_t n, const float* x, float* y) { Softmax<V256>(rows, n, x, y); }

}  // namespace gc
