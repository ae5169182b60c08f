// f32 pooling (NHWC), scalar reference path.
#include <algorithm>
#include <limits>

#include "../kernels.h"
#include "../scalar-window.h"

namespace gc {

void f32_maxpool_scalar(const WindowParams& p, const float* in, float* out, int oy_begin, int oy_end) {
  const int C = p.channels;
  ForEachWindow(
      p, in, out, oy_begin, oy_end,
      [&](float* o) {
        for (int c = 0; c < C; ++c) o[c] = -std::numeric_limits<float>::infinity();
      },
      [&](float* o, const float* x, int) {
        for (int c = 0; c < C; ++c) o[c] = std::max(o[c], x[c]);
      },
      [](float*) {});
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
