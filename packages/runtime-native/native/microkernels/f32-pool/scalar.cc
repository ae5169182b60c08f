// f32 pooling (NHWC), scalar reference path.
#include <algorithm>
#include <limits>

#include "../kernels.h"

namespace gc {

void f32_maxpool_scalar(const WindowParams& p, const float* in, float* out, int oy_begin, int oy_end) {
  const int C = p.channels;
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    for (int ox = 0; ox < p.out_w; ++ox) {
      float* o = out + (static_cast<size_t>(oy) * p.out_w + ox) * C;
      for (int c = 0; c < C; ++c) o[c] = -std::numeric_limits<float>::infinity();
      for (int ky = 0; ky < p.kernel_h; ++ky) {
        const int iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
        if (iy < 0 || iy >= p.in_h) continue;
        for (int kx = 0; kx < p.kernel_w; ++kx) {
          const int ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
          if (ix < 0 || ix >= p.in_w) continue;
          const float* x = in + (static_cast<size_t>(iy) * p.in_w + ix) * C;
          for (int c = 0; c < C; ++c) o[c] = std::max(o[c], x[c]);
        }
      }
    }
  }
}

void f32_global_avgpool_scalar(size_t pixels, size_t channels, const float* in, float* out) {
  for (size_t c = 0; c < channels; ++c) out[c] = 0.f;
  for (size_t px = 0; px < pixels; ++px) {
    const float* x = in + px * channels;
    for (size_t c = 0; c < channels; ++c) out[c] += x[c];
  }
  const float scale = pixels ? 1.f / static_cast<float>(pixels) : 0.f;
  for (size_t c = 0; c < channels; ++c) out[c] *= scale;
}

}  // namespace gc
