// f32 GEMM, avx512: the generic tile in simd-impl.h at MR x NR = 8 x 48 (3 zmm per row).
#include "../avx512-common.h"
#include "simd-impl.h"

namespace gc {

static_assert(kAvx512GemmNr % V512::kLanes == 0, "the tile holds whole vectors per row");

size_t f32_gemm_packed_b_floats_avx512(int K, int N) { return f32_gemm_packed_b_floats(kAvx512GemmNr, K, N); }

void f32_gemm_pack_b_avx512(int K, int N, const float* B, int ldb, bool b_transposed, float* packed) {
  f32_gemm_pack_b(kAvx512GemmNr, K, N, B, ldb, b_transposed, packed);
}

void f32_gemm_avx512(int M, int K, int N, int panel_begin, int panel_end, const float* A, int lda,
                   const float* packed_b, const float* bias, const float* residual, int ldr, float* C,
                   int ldc, const ActParams& act) {
  GemmDriver<V512, kAvx512GemmMr, kAvx512GemmNr / V512::kLanes, kAvx512GemmNarrowMr1, kAvx512GemmNarrowMr2>(M, K, N, panel_begin, panel_end, A, lda, packed_b, bias, residual, ldr, C, ldc, act);
}

}  // namespace gc
