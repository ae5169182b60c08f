// f32 depthwise conv (NHWC, multiplier 1), scalar reference path: bounds-checked taps.
#include "../kernels.h"

namespace gc {

void f32_dwconv_scalar(const WindowParams& p, const float* in, const float* weights, const float* bias,
                       float* out, int oy_begin, int oy_end, const ActParams& act) {
  const int C = p.channels;
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    for (int ox = 0; ox < p.out_w; ++ox) {
      float* o = out + (static_cast<size_t>(oy) * p.out_w + ox) * C;
      for (int c = 0; c < C; ++c) o[c] = bias ? bias[c] : 0.f;
      for (int ky = 0; ky < p.kernel_h; ++ky) {
        const int iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
        if (iy < 0 || iy >= p.in_h) continue;
        for (int kx = 0; kx < p.kernel_w; ++kx) {
          const int ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
          if (ix < 0 || ix >= p.in_w) continue;
          const float* x = in + (static_cast<size_t>(iy) * p.in_w + ix) * C;
          const float* w = weights + (static_cast<size_t>(ky) * p.kernel_w + kx) * C;
          for (int c = 0; c < C; ++c) o[c] += x[c] * w[c];
        }
      }
      f32_vactivation_scalar(act, static_cast<size_t>(C), o, o);
    }
  }
}

}  // namespace gc
