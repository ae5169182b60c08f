// f32 GEMM, AVX2+FMA: MR x NR register tile (MR = 6 rows, NR = 16 = 2 ymm), 12 ymm accumulators,
// A broadcast from its rows, B from packed panels; K blocked by kGemmKc as in avx512.cc.
// N tails use vmaskmov loads/stores (panels are zero-padded, so the FMAs need no masking).
#include "../avx2-common.h"
#include "../kernels.h"

namespace gc {
namespace {

constexpr int NR = kAvx2GemmNr;
constexpr int MR = kAvx2GemmMr;
static_assert(NR == 16, "tile code below holds two ymm per row");

struct TileArgs {
  int kc;
  const float* a;
  int lda;
  const float* b;
  float* c;
  int ldc;
  __m256i m0, m1;
  const float* bias;
  const float* res;
  int ldr;
  const ActParams* act;
  bool first, last;
};

template <int R>
void Tile(const TileArgs& t) {
  __m256 acc0[R], acc1[R];
  const float* ap[R];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
    ap[i] = t.a + static_cast<size_t>(i) * t.lda;
    if (t.first) {
      acc0[i] = _mm256_setzero_ps();
      acc1[i] = _mm256_setzero_ps();
    } else {
      acc0[i] = _mm256_maskload_ps(t.c + static_cast<size_t>(i) * t.ldc, t.m0);
      acc1[i] = _mm256_maskload_ps(t.c + static_cast<size_t>(i) * t.ldc + 8, t.m1);
    }
  }
  const float* b = t.b;
  for (int k = 0; k < t.kc; ++k, b += NR) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const __m256 av = _mm256_broadcast_ss(ap[i] + k);
      acc0[i] = _mm256_fmadd_ps(av, b0, acc0[i]);
      acc1[i] = _mm256_fmadd_ps(av, b1, acc1[i]);
    }
  }
  if (t.last) {
    const __m256 bias0 = t.bias ? _mm256_maskload_ps(t.bias, t.m0) : _mm256_setzero_ps();
    const __m256 bias1 = t.bias ? _mm256_maskload_ps(t.bias + 8, t.m1) : _mm256_setzero_ps();
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      __m256 v0 = _mm256_add_ps(acc0[i], bias0);
      __m256 v1 = _mm256_add_ps(acc1[i], bias1);
      if (t.res) {
        const float* r = t.res + static_cast<size_t>(i) * t.ldr;
        v0 = _mm256_add_ps(v0, _mm256_maskload_ps(r, t.m0));
        v1 = _mm256_add_ps(v1, _mm256_maskload_ps(r + 8, t.m1));
      }
      acc0[i] = Activate256(v0, *t.act);
      acc1[i] = Activate256(v1, *t.act);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
    _mm256_maskstore_ps(t.c + static_cast<size_t>(i) * t.ldc, t.m0, acc0[i]);
    _mm256_maskstore_ps(t.c + static_cast<size_t>(i) * t.ldc + 8, t.m1, acc1[i]);
  }
}

void DispatchTile(int rows, const TileArgs& t) {
  switch (rows) {
    case 6: Tile<6>(t); break;
    case 5: Tile<5>(t); break;
    case 4: Tile<4>(t); break;
    case 3: Tile<3>(t); break;
    case 2: Tile<2>(t); break;
    default: Tile<1>(t); break;
  }
}
static_assert(MR == 6, "DispatchTile covers 1..6 rows");

}  // namespace

size_t f32_gemm_packed_b_floats_avx2(int K, int N) { return f32_gemm_packed_b_floats(NR, K, N); }

void f32_gemm_pack_b_avx2(int K, int N, const float* B, int ldb, bool b_transposed, float* packed) {
  f32_gemm_pack_b(NR, K, N, B, ldb, b_transposed, packed);
}

void f32_gemm_avx2(int M, int K, int N, int panel_begin, int panel_end, const float* A, int lda,
                   const float* packed_b, const float* bias, const float* residual, int ldr, float* C,
                   int ldc, const ActParams& act) {
  for (int k0 = 0;; k0 += kGemmKc) {
    const int kc = K - k0 < kGemmKc ? K - k0 : kGemmKc;
    TileArgs t;
    t.kc = kc;
    t.lda = lda;
    t.ldc = ldc;
    t.ldr = ldr;
    t.act = &act;
    t.first = k0 == 0;
    t.last = k0 + kc >= K;
    for (int p = panel_begin; p < panel_end; ++p) {
      const int n0 = p * NR;
      const int cols = N - n0 < NR ? N - n0 : NR;
      t.m0 = Mask8(static_cast<size_t>(cols));
      t.m1 = Mask8(cols > 8 ? static_cast<size_t>(cols - 8) : 0);
      t.b = packed_b + static_cast<size_t>(p) * K * NR + static_cast<size_t>(k0) * NR;
      t.bias = bias ? bias + n0 : nullptr;
      for (int m0 = 0; m0 < M; m0 += MR) {
        t.a = A + static_cast<size_t>(m0) * lda + k0;
        t.c = C + static_cast<size_t>(m0) * ldc + n0;
        t.res = residual ? residual + static_cast<size_t>(m0) * ldr + n0 : nullptr;
        DispatchTile(M - m0 < MR ? M - m0 : MR, t);
      }
    }
    if (t.last) break;
  }
}

}  // namespace gc
