// Window walk of the scalar reference kernels (depthwise conv, max pooling): every tap is
// bounds-checked, independently of the SIMD paths' precomputed tap ranges (window-impl.h).
// Include only from */scalar.cc; internal linkage.
#pragma once
#include <cstddef>

#include "microkernels.h"

namespace gc {
namespace {

// For each output pixel of rows [oy_begin, oy_end): start(o), then tap(o, x, tap_index) for every
// tap inside the input (x: its input pixel, tap_index = ky * kernel_w + kx), then finish(o).
template <class Start, class Tap, class Finish>
void ForEachWindow(const WindowParams& p, const float* in, float* out, int oy_begin, int oy_end, Start start, Tap tap,
                   Finish finish) {
  const size_t C = static_cast<size_t>(p.channels);
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    for (int ox = 0; ox < p.out_w; ++ox) {
      float* o = out + (static_cast<size_t>(oy) * p.out_w + ox) * C;
      start(o);
      for (int ky = 0; ky < p.kernel_h; ++ky) {
        const int iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
        if (iy < 0 || iy >= p.in_h) continue;
        for (int kx = 0; kx < p.kernel_w; ++kx) {
          const int ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
          if (ix < 0 || ix >= p.in_w) continue;
          tap(o, in + (static_cast<size_t>(iy) * p.in_w + ix) * C, ky * p.kernel_w + kx);
        }
      }
      finish(o);
    }
  }
}

}  // namespace
}  // namespace gc
