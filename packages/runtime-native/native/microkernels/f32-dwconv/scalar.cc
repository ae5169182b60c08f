// f32 depthwise conv (NHWC, multiplier 1), scalar reference path: bounds-checked taps.
#include "../kernels.h"
#include "../scalar-window.h"

namespace gc {

void f32_dwconv_scalar(const WindowParams& p, const float* in, const float* weights, const float* bias,
                       float* out, int oy_begin, int oy_end, const ActParams& act) {
  const int C = p.channels;
  ForEachWindow(
      p, in, out, oy_begin, oy_end,
      [&](float* o) {
        for (int c = 0; c < C; ++c) o[c] = bias ? bias[c] : 0.f;
      },
      [&](float* o, const float* x, int tap) {
        const float* w = weights + static_cast<size_t>(tap) * C;
        for (int c = 0; c < C; ++c) o[c] += x[c] * w[c];
      },
      [&](float* o) { f32_vactivation_scalar(act, static_cast<size_t>(C), o, o); });
}

}  // namespace gc
