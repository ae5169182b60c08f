// ISA-generic body of the f32 binary element-wise ops, instantiated by avx2.cc and avx512.cc.
// The broadcast operand (kVS / kSV) is splatted once; the tail is one masked vector.
#pragma once
#include "../kernels.h"

namespace gc {
namespace {

template <class S, BinMode M, class F>
void VBinaryLoop(size_t n, const float* a, const float* b, float* y, F f) {
  using V = typename S::V;
  constexpr size_t L = S::kLanes;
  const V sa = M == BinMode::kSV ? S::Set1(a[0]) : S::Zero();
  const V sb = M == BinMode::kVS ? S::Set1(b[0]) : S::Zero();
  size_t i = 0;
  for (; i + L <= n; i += L) {
    const V va = M == BinMode::kSV ? sa : S::Load(a + i);
    const V vb = M == BinMode::kVS ? sb : S::Load(b + i);
    S::Store(y + i, f(va, vb));
  }
  if (i < n) {
    const typename S::Mask m = S::TailMask(n - i);
    // Masked-off lanes read as 0 (0/0 there is never stored).
    const V va = M == BinMode::kSV ? sa : S::LoadMasked(a + i, m);
    const V vb = M == BinMode::kVS ? sb : S::LoadMasked(b + i, m);
    S::StoreMasked(y + i, m, f(va, vb));
  }
}

template <class S, class F>
void VBinaryMode(BinMode mode, size_t n, const float* a, const float* b, float* y, F f) {
  switch (mode) {
    case BinMode::kVV: VBinaryLoop<S, BinMode::kVV>(n, a, b, y, f); break;
    case BinMode::kVS: VBinaryLoop<S, BinMode::kVS>(n, a, b, y, f); break;
    case BinMode::kSV: VBinaryLoop<S, BinMode::kSV>(n, a, b, y, f); break;
  }
}

template <class S>
void VBinary(BinOp op, BinMode mode, size_t n, const float* a, const float* b, float* y) {
  using V = typename S::V;
  switch (op) {
    case BinOp::kAdd: VBinaryMode<S>(mode, n, a, b, y, [](V u, V v) { return S::Add(u, v); }); break;
    case BinOp::kSub: VBinaryMode<S>(mode, n, a, b, y, [](V u, V v) { return S::Sub(u, v); }); break;
    case BinOp::kMul: VBinaryMode<S>(mode, n, a, b, y, [](V u, V v) { return S::Mul(u, v); }); break;
    case BinOp::kDiv: VBinaryMode<S>(mode, n, a, b, y, [](V u, V v) { return S::Div(u, v); }); break;
  }
}

}  // namespace
}  // namespace gc
