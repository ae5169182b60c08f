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

inline __m512 Activate512(__m512 v, const ActParams& a) {
  const __m512 zero = _mm512_setzero_ps();
  switch (a.kind) {
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

}  // namespace
}  // namespace gc
