// f32 row softmax, avx512: the generic body in simd-impl.h on V512.
#include "../avx512-common.h"
#include "simd-impl.h"

namespace gc {

void f32_softmax_avx512(size_t rows, size_t n, const float* x, float* y) { Softmax<V512>(rows, n, x, y); }

}  // namespace gc
