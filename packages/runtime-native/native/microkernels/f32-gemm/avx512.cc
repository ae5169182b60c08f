// f32 GEMM, AVX-512: MR x NR register tile (MR = 12 rows, NR = 32 = 2 zmm), 24 zmm accumulators,
// A broadcast straight from its rows, B from packed panels. K is blocked by kGemmKc so a
// kc x NR panel slice stays in L1 while successive MR-row strips of A stream from L2; partial
// sums of non-final K blocks are kept in C. N tails use masked loads/stores (panels are zero-padded).
#include "../avx512-common.h"
#include "../kernels.h"

namespace gc {
namespace {

constexpr int NR = kAvx512GemmNr;
constexpr int MR = kAvx512GemmMr;
static_assert(NR == 32, "tile code below holds two zmm per row");

struct TileArgs {
  int kc;
  const float* a;  // first row of the strip at column k0
  int lda;
  const float* b;  // panel slice at row k0, NR floats per k
  float* c;
  int ldc;
  __mmask16 m0, m1;     // valid columns in each zmm
  const float* bias;    // at column n0, or null
  const float* res;     // at (row, n0), or null
  int ldr;
  const ActParams* act;
  bool first, last;     // first K block starts from zero; last adds bias/residual and activates
};

template <int R>
void Tile(const TileArgs& t) {
  __m512 acc0[R], acc1[R];
  const float* ap[R];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) {
    ap[i] = t.a + static_cast<size_t>(i) * t.lda;
    if (t.first) {
      acc0[i] = _mm512_setzero_ps();
      acc1[i] = _mm512_setzero_ps();
    } else {
      acc0[i] = _mm512_maskz_loadu_ps(t.m0, t.c + static_cast<size_t>(i) * t.ldc);
      acc1[i] = _mm512_maskz_loadu_ps(t.m1, t.c + static_cast<size_t>(i) * t.ldc + 16);
    }
  }
  const float* b = t.b;
  for (int k = 0; k < t.kc; ++k, b += NR) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      const __m512 av = _mm512_set1_ps(ap[i][k]);
      acc0[i] = _mm512_fmadd_ps(av, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(av, b1, acc1[i]);
    }
  }
  if (t.last) {
    const __m512 bias0 = t.bias ? _mm512_maskz_loadu_ps(t.m0, t.bias) : _mm512_setzero_ps();
    const __m512 bias1 = t.bias ? _mm512_maskz_loadu_ps(t.m1, t.bias + 16) : _mm512_setzero_ps();
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      __m512 v0 = _mm512_add_ps(acc0[i], bias0);
      __m512 v1 = _mm512_add_ps(acc1[i], bias1);
      if (t.res) {
        const float* r = t.res + static_cast<size_t>(i) * t.ldr;
        v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(t.m0, r));
        v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(t.m1, r + 16));
      }
      acc0[i] = Activate512(v0, *t.act);
      acc1[i] = Activate512(v1, *t.act);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) {
    _mm512_mask_storeu_ps(t.c + static_cast<size_t>(i) * t.ldc, t.m0, acc0[i]);
    _mm512_mask_storeu_ps(t.c + static_cast<size_t>(i) * t.ldc + 16, t.m1, acc1[i]);
  }
}

void DispatchTile(int rows, const TileArgs& t) {
  switch (rows) {
    case 12: Tile<12>(t); break;
    case 11: Tile<11>(t); break;
    case 10: Tile<10>(t); break;
    case 9: Tile<9>(t); break;
    case 8: Tile<8>(t); break;
    case 7: Tile<7>(t); break;
    case 6: Tile<6>(t); break;
    case 5: Tile<5>(t); break;
    case 4: Tile<4>(t); break;
    case 3: Tile<3>(t); break;
    case 2: Tile<2>(t); break;
    default: Tile<1>(t); break;
  }
}
static_assert(MR == 12, "DispatchTile covers 1..12 rows");

}  // namespace

size_t f32_gemm_packed_b_floats_avx512(int K, int N) { return f32_gemm_packed_b_floats(NR, K, N); }

void f32_gemm_pack_b_avx512(int K, int N, const float* B, int ldb, bool b_transposed, float* packed) {
  f32_gemm_pack_b(NR, K, N, B, ldb, b_transposed, packed);
}

void f32_gemm_avx512(int M, int K, int N, int panel_begin, int panel_end, const float* A, int lda,
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
      t.m0 = Mask16(static_cast<size_t>(cols));
      t.m1 = Mask16(cols > 16 ? static_cast<size_t>(cols - 16) : 0);
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
