// Vector helpers private to the AVX-512 TUs. Everything sits in an anonymous namespace so each
// including TU gets internal-linkage copies compiled with its own flags: no weak symbols can leak
// wide instructions into the scalar path (see microkernels.h). Include only from */avx512.cc.
#pragma once
// GCC 12 flags the self-initialised _mm512_undefined_ps() inside its own intrinsics headers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstddef>

#include "microkernels.h"

namespace gc {
namespace {

inline __mmask16 Mask16(size_t n) { return n >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << n) - 1u); }

// exp(x): n = round(x / ln2), r = x - n ln2 (Cody-Waite split), degree-7 Taylor on |r| <= ln2/2
// (truncation error < 1e-8 relative), then scalef applies 2^n including overflow/underflow.
inline __m512 Exp512(__m512 x) {
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.7228394f)), _mm512_set1_ps(-103.972084f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.f / 5040.f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 720.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 120.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 24.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 6.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  return _mm512_scalef_ps(p, n);
}

// Compile-time kind for loops (the switch is hoisted out); Activate512 dispatches at run time.
template <Act K>
inline __m512 Activate512K(__m512 v, const ActParams& a) {
  const __m512 zero = _mm512_setzero_ps();
  switch (K) {
    case Act::kNone: return v;
    case Act::kRelu: return _mm512_max_ps(v, zero);
    case Act::kRelu6: return _mm512_min_ps(_mm512_max_ps(v, zero), _mm512_set1_ps(6.f));
    case Act::kClip: return _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(a.p0)), _mm512_set1_ps(a.p1));
    case Act::kHardSwish: {
      const __m512 t = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(v, _mm512_set1_ps(3.f)), zero), _mm512_set1_ps(6.f));
      return _mm512_mul_ps(_mm512_mul_ps(v, t), _mm512_set1_ps(1.f / 6.f));
    }
    case Act::kHardSigmoid: {
      const __m512 t = _mm512_fmadd_ps(_mm512_set1_ps(a.p0), v, _mm512_set1_ps(a.p1));
      return _mm512_min_ps(_mm512_max_ps(t, zero), _mm512_set1_ps(1.f));
    }
    case Act::kSigmoid: {
      const __m512 one = _mm512_set1_ps(1.f);
      return _mm512_div_ps(one, _mm512_add_ps(one, Exp512(_mm512_sub_ps(zero, v))));
    }
  }
  return v;
}

inline __m512 Activate512(__m512 v, const ActParams& a) {
  switch (a.kind) {
    case Act::kNone: return Activate512K<Act::kNone>(v, a);
    case Act::kRelu: return Activate512K<Act::kRelu>(v, a);
    case Act::kRelu6: return Activate512K<Act::kRelu6>(v, a);
    case Act::kClip: return Activate512K<Act::kClip>(v, a);
    case Act::kHardSwish: return Activate512K<Act::kHardSwish>(v, a);
    case Act::kHardSigmoid: return Activate512K<Act::kHardSigmoid>(v, a);
    case Act::kSigmoid: return Activate512K<Act::kSigmoid>(v, a);
  }
  return v;
}


// Vector traits consumed by the ISA-generic kernel bodies (<family>/simd-impl.h).
struct V512 {
  using V = __m512;
  using Mask = __mmask16;
  static constexpr int kLanes = 16;
  static V Zero() { return _mm512_setzero_ps(); }
  static V Set1(float x) { return _mm512_set1_ps(x); }
  static V Load(const float* p) { return _mm512_loadu_ps(p); }
  static void Store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static Mask TailMask(size_t n) { return Mask16(n); }
  static V LoadMasked(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static V LoadMaskedOr(const float* p, Mask m, V fill) { return _mm512_mask_loadu_ps(fill, m, p); }
  static void StoreMasked(float* p, Mask m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static V Add(V a, V b) { return _mm512_add_ps(a, b); }
  static V Sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V Mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V Div(V a, V b) { return _mm512_div_ps(a, b); }
  static V Max(V a, V b) { return _mm512_max_ps(a, b); }
  static V Fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static float ReduceAdd(V v) { return _mm512_reduce_add_ps(v); }
  static float ReduceMax(V v) { return _mm512_reduce_max_ps(v); }
  static V Exp(V v) { return Exp512(v); }
  template <Act K>
  static V ActivateK(V v, const ActParams& a) { return Activate512K<K>(v, a); }
  static V Activate(V v, const ActParams& a) { return Activate512(v, a); }
};

}  // namespace
}  // namespace gc
