// f32 GEMM, scalar reference path: plain loops in the natural k order. Also the shared B packer,
// which every ISA's pack_b entry calls with its own panel width.
#include <algorithm>
#include <cstring>

#include "../kernels.h"

namespace gc {

size_t f32_gemm_packed_b_floats(int nr, int K, int N) {
  const size_t panels = (static_cast<size_t>(N) + nr - 1) / nr;
  return panels * static_cast<size_t>(K) * nr;
}

void f32_gemm_pack_b(int nr, int K, int N, const float* B, int ldb, bool b_transposed, float* packed) {
  const int panels = (N + nr - 1) / nr;
  for (int p = 0; p < panels; ++p) {
    float* dst = packed + static_cast<size_t>(p) * K * nr;
    const int n0 = p * nr;
    const int cols = std::min(nr, N - n0);
    for (int k = 0; k < K; ++k) {
      float* row = dst + static_cast<size_t>(k) * nr;
      for (int j = 0; j < cols; ++j) {
        row[j] = b_transposed ? B[static_cast<size_t>(n0 + j) * ldb + k] : B[static_cast<size_t>(k) * ldb + n0 + j];
      }
      for (int j = cols; j < nr; ++j) row[j] = 0.f;
    }
  }
}

size_t f32_gemm_packed_b_floats_scalar(int K, int N) { return f32_gemm_packed_b_floats(kScalarGemmNr, K, N); }

void f32_gemm_pack_b_scalar(int K, int N, const float* B, int ldb, bool b_transposed, float* packed) {
  f32_gemm_pack_b(kScalarGemmNr, K, N, B, ldb, b_transposed, packed);
}

// GCC's -O3 loop vectorizer vectorizes over k and turns the accumulators into shuffles, ~4x slower
// than the straight-line (SLP) code of the unrolled 4 x 8 block it emits without it.
#if defined(__GNUC__) && !defined(__clang__)
#define GC_NO_LOOP_VECTORIZE __attribute__((optimize("no-tree-loop-vectorize")))
#else
#define GC_NO_LOOP_VECTORIZE
#endif

GC_NO_LOOP_VECTORIZE
void f32_gemm_scalar(int M, int K, int N, int panel_begin, int panel_end, const float* A, int lda,
                     const float* packed_b, const float* bias, const float* residual, int ldr, float* C,
                     int ldc, const ActParams& act) {
  constexpr int nr = kScalarGemmNr;
  constexpr int mr = kScalarGemmMr;  // rows sharing each B row load; acc stays in registers
  for (int p = panel_begin; p < panel_end; ++p) {
    const float* panel = packed_b + static_cast<size_t>(p) * K * nr;
    const int n0 = p * nr;
    const int cols = std::min(nr, N - n0);
    for (int m0 = 0; m0 < M; m0 += mr) {
      const int rows = std::min(mr, M - m0);
      // Rows past M repeat the last row (computed, never stored), so the loops have fixed trip counts.
      const float* a[mr];
      for (int r = 0; r < mr; ++r) a[r] = A + static_cast<size_t>(m0 + std::min(r, rows - 1)) * lda;
      float acc[mr][nr] = {};
      for (int k = 0; k < K; ++k) {
        const float* b = panel + static_cast<size_t>(k) * nr;
        for (int r = 0; r < mr; ++r) {
          const float av = a[r][k];
          for (int j = 0; j < nr; ++j) acc[r][j] += av * b[j];
        }
      }
      for (int r = 0; r < rows; ++r) {
        const int m = m0 + r;
        float* c = C + static_cast<size_t>(m) * ldc + n0;
        for (int j = 0; j < cols; ++j) {
          float v = acc[r][j];
          if (bias) v += bias[n0 + j];
          if (residual) v += residual[static_cast<size_t>(m) * ldr + n0 + j];
          c[j] = v;
        }
        f32_vactivation_scalar(act, static_cast<size_t>(cols), c, c);
      }
    }
  }
}

}  // namespace gc
