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

void f32_gemm_scalar(int M, int K, int N, int panel_begin, int panel_end, const float* A, int lda,
                     const float* packed_b, const float* bias, const float* residual, int ldr, float* C,
                     int ldc, const ActParams& act) {
  constexpr int nr = kScalarGemmNr;
  for (int p = panel_begin; p < panel_end; ++p) {
    const float* panel = packed_b + static_cast<size_t>(p) * K * nr;
    const int n0 = p * nr;
    const int cols = std::min(nr, N - n0);
    for (int m = 0; m < M; ++m) {
      const float* a = A + static_cast<size_t>(m) * lda;
      float acc[nr];
      for (int j = 0; j < nr; ++j) acc[j] = 0.f;
      for (int k = 0; k < K; ++k) {
        const float av = a[k];
        const float* b = panel + static_cast<size_t>(k) * nr;
        for (int j = 0; j < nr; ++j) acc[j] += av * b[j];
      }
      float* c = C + static_cast<size_t>(m) * ldc + n0;
      for (int j = 0; j < cols; ++j) {
        float v = acc[j];
        if (bias) v += bias[n0 + j];
        if (residual) v += residual[static_cast<size_t>(m) * ldr + n0 + j];
        c[j] = v;
      }
      f32_vactivation_scalar(act, static_cast<size_t>(cols), c, c);
    }
  }
}

}  // namespace gc
