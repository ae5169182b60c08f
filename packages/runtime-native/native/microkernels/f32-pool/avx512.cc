// f32 max / global-average pooling, avx512: the generic bodies in simd-impl.h on V512.
#include "../avx512-common.h"
#include "simd-impl.h"

namespace gc {

void f32_maxpool_avx512(const WindowParams& p, const float* in, float* out, int oy_begin, int oy_end) {
  MaxPool<V512>(p, in, out, oy_begin, oy_end);
}

void f32_global_avgpool_avx512(size_t pixels, size_t channels, const float* in, float* out) {
  GlobalAvgPool<V512>(pixels, channels, in, out);
}

}  // namespace gc
