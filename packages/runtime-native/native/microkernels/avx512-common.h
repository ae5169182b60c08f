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

// Vector traits consumed by the ISA-generic bodies (simd-activation.h, <family>/simd-impl.h).
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
  static V Min(V a, V b) { return _mm512_min_ps(a, b); }
  static V Fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static float ReduceAdd(V v) { return _mm512_reduce_add_ps(v); }
  static float ReduceMax(V v) { return _mm512_reduce_max_ps(v); }
  // exp() pieces for simd-activation.h: input range, round-to-nearest, and p * 2^n via scalef
  // (exact over/underflow, so the lower clamp can sit below the normal range).
  static constexpr float kExpMin = -103.972084f, kExpMax = 88.7228394f;
  static V RoundNearest(V v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V ScalePow2(V p, V n, V /*x*/) { return _mm512_scalef_ps(p, n); }
};

}  // namespace
}  // namespace gc

#include "simd-activation.h"
