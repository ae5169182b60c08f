// Vector helpers private to the AVX2+FMA TUs. Anonymous namespace = internal linkage per TU, so no
// weak symbols with AVX2 code can be picked for the scalar path (see microkernels.h).
// Include only from */avx2.cc.
#pragma once
#include <immintrin.h>

#include <cstddef>

#include "microkernels.h"

namespace gc {
namespace {

// Lane mask for the first min(n, 8) lanes, for _mm256_maskload_ps / _mm256_maskstore_ps.
inline __m256i Mask8(size_t n) {
  const int k = n >= 8 ? 8 : static_cast<int>(n);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// exp(x) as in avx512-common.h, with 2^n built in the exponent field; the clamp keeps n in
// [-126, 127] and inputs below the normal range are flushed to 0 (the scalar path gives < 1.2e-38).
inline __m256 Exp256(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.3365479f);
  const __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_GE_OQ);
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.3762589f)), lo);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.f / 5040.f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 720.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 120.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 24.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 6.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_and_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(e)), underflow);
}

// Compile-time kind for loops (the switch is hoisted out); Activate256 dispatches at run time.
template <Act K>
inline __m256 Activate256K(__m256 v, const ActParams& a) {
  const __m256 zero = _mm256_setzero_ps();
  switch (K) {
    case Act::kNone: return v;
    case Act::kRelu: return _mm256_max_ps(v, zero);
    case Act::kRelu6: return _mm256_min_ps(_mm256_max_ps(v, zero), _mm256_set1_ps(6.f));
    case Act::kClip: return _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(a.p0)), _mm256_set1_ps(a.p1));
    case Act::kHardSwish: {
      const __m256 t = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(v, _mm256_set1_ps(3.f)), zero), _mm256_set1_ps(6.f));
      return _mm256_mul_ps(_mm256_mul_ps(v, t), _mm256_set1_ps(1.f / 6.f));
    }
    case Act::kHardSigmoid: {
      const __m256 t = _mm256_fmadd_ps(_mm256_set1_ps(a.p0), v, _mm256_set1_ps(a.p1));
      return _mm256_min_ps(_mm256_max_ps(t, zero), _mm256_set1_ps(1.f));
    }
    case Act::kSigmoid: {
      const __m256 one = _mm256_set1_ps(1.f);
      return _mm256_div_ps(one, _mm256_add_ps(one, Exp256(_mm256_sub_ps(zero, v))));
    }
  }
  return v;
}

inline __m256 Activate256(__m256 v, const ActParams& a) {
  switch (a.kind) {
    case Act::kNone: return Activate256K<Act::kNone>(v, a);
    case Act::kRelu: return Activate256K<Act::kRelu>(v, a);
    case Act::kRelu6: return Activate256K<Act::kRelu6>(v, a);
    case Act::kClip: return Activate256K<Act::kClip>(v, a);
    case Act::kHardSwish: return Activate256K<Act::kHardSwish>(v, a);
    case Act::kHardSigmoid: return Activate256K<Act::kHardSigmoid>(v, a);
    case Act::kSigmoid: return Activate256K<Act::kSigmoid>(v, a);
  }
  return v;
}


// Vector traits consumed by the ISA-generic kernel bodies (<family>/simd-impl.h).
struct V256 {
  using V = __m256;
  using Mask = __m256i;
  static constexpr int kLanes = 8;
  static V Zero() { return _mm256_setzero_ps(); }
  static V Set1(float x) { return _mm256_set1_ps(x); }
  static V Load(const float* p) { return _mm256_loadu_ps(p); }
  static void Store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static Mask TailMask(size_t n) { return Mask8(n); }
  static V LoadMasked(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static V LoadMaskedOr(const float* p, Mask m, V fill) {
    return _mm256_blendv_ps(fill, _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
  }
  static void StoreMasked(float* p, Mask m, V v) { _mm256_maskstore_ps(p, m, v); }
  static V Add(V a, V b) { return _mm256_add_ps(a, b); }
  static V Sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V Mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V Div(V a, V b) { return _mm256_div_ps(a, b); }
  static V Max(V a, V b) { return _mm256_max_ps(a, b); }
  static V Fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static float ReduceAdd(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static float ReduceMax(V v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static V Exp(V v) { return Exp256(v); }
  template <Act K>
  static V ActivateK(V v, const ActParams& a) { return Activate256K<K>(v, a); }
  static V Activate(V v, const ActParams& a) { return Activate256(v, a); }
};

}  // namespace
}  // namespace gc
