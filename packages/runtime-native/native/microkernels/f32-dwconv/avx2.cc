// f32 depthwise conv, avx2: the generic body in simd-impl.h on V256.
#include "../avx2-common.h"
#include "simd-impl.h"

namespace gc {

void f32_dwconv_avx2(const WindowParams& p, const float* in, const float* weights, const float* bias, float* out,
                     int oy_begin, int oy_end, const ActParams& act) {
  DwConv<V256>(p, in, weights, bias, out, oy_begin, oy_end, act);
}

}  // namespace gc
