// ISA-generic body of the f32 activations, instantiated by avx2.cc and avx512.cc. The kind is a
// template parameter so each loop is branch-free; the tail is one masked vector.
#pragma once
#include "../kernels.h"

namespace gc {
namespace {

template <class S, Act K>
void VActivationLoop(const ActParams& act, size_t n, const float* x, float* y) {
  constexpr size_t L = S::kLanes;
  size_t i = 0;
  for (; i + L <= n; i += L) S::Store(y + i, ActivateK<S, K>(S::Load(x + i), act));
  if (i < n) {
    const typename S::Mask m = S::TailMask(n - i);
    S::StoreMasked(y + i, m, ActivateK<S, K>(S::LoadMasked(x + i, m), act));
  }
}

template <class S>
void VActivation(const ActParams& act, size_t n, const float* x, float* y) {
  switch (act.kind) {
    case Act::kNone: VActivationLoop<S, Act::kNone>(act, n, x, y); break;
    case Act::kRelu: VActivationLoop<S, Act::kRelu>(act, n, x, y); break;
    case Act::kRelu6: VActivationLoop<S, Act::kRelu6>(act, n, x, y); break;
    case Act::kClip: VActivationLoop<S, Act::kClip>(act, n, x, y); break;
    case Act::kHardSwish: VActivationLoop<S, Act::kHardSwish>(act, n, x, y); break;
    case Act::kHardSigmoid: VActivationLoop<S, Act::kHardSigmoid>(act, n, x, y); break;
    case Act::kSigmoid: VActivationLoop<S, Act::kSigmoid>(act, n, x, y); break;
  }
}

}  // namespace
}  // namespace gc
