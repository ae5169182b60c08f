// ISA-generic body of the f32 row softmax, instantiated by avx2.cc and avx512.cc: vector max,
// vector exp(x - max) with a vector partial sum, then one multiply by 1/sum. Tail lanes load as
// -inf so their exp is exactly 0 and never reaches the sum.
#pragma once
#include "../kernels.h"

namespace gc {
namespace {

template <class S>
void Softmax(size_t rows, size_t n, const float* x, float* y) {
  using V = typename S::V;
  constexpr size_t L = S::kLanes;
  const V neg_inf = S::Set1(-__builtin_inff());
  const size_t full = n - n % L;
  const typename S::Mask tail = S::TailMask(n % L);
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    V vmax = neg_inf;
    for (size_t i = 0; i < full; i += L) vmax = S::Max(vmax, S::Load(xr + i));
    if (full < n) vmax = S::Max(vmax, S::LoadMaskedOr(xr + full, tail, neg_inf));
    const V mx = S::Set1(S::ReduceMax(vmax));
    V vsum = S::Zero();
    for (size_t i = 0; i < full; i += L) {
      const V e = Exp<S>(S::Sub(S::Load(xr + i), mx));
      S::Store(yr + i, e);
      vsum = S::Add(vsum, e);
    }
    if (full < n) {
      const V e = Exp<S>(S::Sub(S::LoadMaskedOr(xr + full, tail, neg_inf), mx));
      S::StoreMasked(yr + full, tail, e);
      vsum = S::Add(vsum, e);
    }
    const V inv = S::Set1(1.f / S::ReduceAdd(vsum));
    for (size_t i = 0; i < full; i += L) S::Store(yr + i, S::Mul(S::Load(yr + i), inv));
    if (full < n) S::StoreMasked(yr + full, tail, S::Mul(S::LoadMasked(yr + full, tail), inv));
  }
}

}  // namespace
}  // namespace gc
