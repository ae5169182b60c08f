// f32 softmax over contiguous rows, scalar reference path (max-subtracted for range safety).
#include <algorithm>
#include <cmath>

#include "../kernels.h"

namespace gc {

void f32_softmax_scalar(size_t rows, size_t n, const float* x, float* y) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    float mx = -INFINITY;
    for (size_t i = 0; i < n; ++i) mx = std::max(mx, xr[i]);
    float sum = 0.f;
    for (size_t i = 0; i < n; ++i) {
      yr[i] = std::exp(xr[i] - mx);
      sum += yr[i];
    }
    const float inv = 1.f / sum;
    for (size_t i = 0; i < n; ++i) yr[i] *= inv;
  }
}

}  // namespace gc
