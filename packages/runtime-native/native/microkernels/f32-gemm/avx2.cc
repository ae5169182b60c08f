// f32 GEMM, avx2: the generic tile in simd-impl.h at MR x NR = 6 x 16 (2 ymm per row).
#include "../avx2-common.h"
#include "simd-impl.h"

namespace gc {

static_assert(kAvx2GemmNr % V256::kLanes == 0, "the tile holds whole vectors per row");

size_t f32_gemm_packed_b_floats_avx2(int K, int N) { return f32_gemm_packed_b_floats(kAvx2GemmNr, K, N); }

void f32_gemm_pack_b_avx2(int K, int N, const float* B, int ldb, bool b_transposed, float* packed) {
  f32_gemm_pack_b(kAvx2GemmNr, K, N, B, ldb, b_transposed, packed);
}

void f32_gemm_avx2(int M, int K, int N, int panel_begin, int panel_end, const float* A, int lda,
                   const float* packed_b, const float* bias, const float* residual, int ldr, float* C,
                   int ldc, const ActParams& act) {
  GemmDriver<V256, kAvx2GemmMr, kAvx2GemmNr / V256::kLanes>(M, K, N, panel_begin, panel_end, A, lda, packed_b, bias, residual, ldr, C, ldc, act);
}

}  // namespace gc
