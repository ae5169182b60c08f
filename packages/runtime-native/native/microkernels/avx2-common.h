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

// Vector traits consumed by the ISA-generic bodies (simd-activation.h, <family>/simd-impl.h).
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
  static V Min(V a, V b) { return _mm256_min_ps(a, b); }
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
  // exp() pieces for simd-activation.h: 2^n is built in the exponent field, so the clamp keeps n in
  // [-126, 127]; inputs below the normal range give 0 (the scalar path gives < 1.2e-38 there).
  static constexpr float kExpMin = -87.3365479f, kExpMax = 88.3762589f;
  static V RoundNearest(V v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V ScalePow2(V p, V n, V x) {
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(e)), _mm256_cmp_ps(x, _mm256_set1_ps(kExpMin), _CMP_GE_OQ));
  }
};

}  // namespace
}  // namespace gc

#include "simd-activation.h"
