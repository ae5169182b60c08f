// f32 max / global-average pooling, avx2: the generic bodies in simd-impl.h on V256.
#include "../avx2-common.h"
#include "simd-impl.h"

namespace gc {

void f32_maxpool_avx2(const WindowParams& p, const float* in, float* out, int oy_begin, int oy_end) {
  MaxPool<V256>(p, in, out, oy_begin, oy_end);
}

void f32_global_avgpool_avx2(size_t pixels, size_t channels, const float* in, float* out) {
  GlobalAvgPool<V256>(pixels, channels, in, out);
}

}  // namespace gc
