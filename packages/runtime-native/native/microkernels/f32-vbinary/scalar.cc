// f32 binary element-wise ops, scalar reference path.
#include "../kernels.h"

namespace gc {
namespace {

template <typename F>
void Apply(BinMode mode, size_t n, const float* a, const float* b, float* y, F f) {
  switch (mode) {
    case BinMode::kVV:
      for (size_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
      break;
    case BinMode::kVS: {
      const float s = b[0];
      for (size_t i = 0; i < n; ++i) y[i] = f(a[i], s);
      break;
    }
    case BinMode::kSV: {
      const float s = a[0];
      for (size_t i = 0; i < n; ++i) y[i] = f(s, b[i]);
      break;
    }
  }
}

}  // namespace

void f32_vbinary_scalar(BinOp op, BinMode mode, size_t n, const float* a, const float* b, float* y) {
  switch (op) {
    case BinOp::kAdd: Apply(mode, n, a, b, y, [](float u, float v) { return u + v; }); break;
    case BinOp::kSub: Apply(mode, n, a, b, y, [](float u, float v) { return u - v; }); break;
    case BinOp::kMul: Apply(mode, n, a, b, y, [](float u, float v) { return u * v; }); break;
    case BinOp::kDiv: Apply(mode, n, a, b, y, [](float u, float v) { return u / v; }); break;
  }
}

}  // namespace gc
