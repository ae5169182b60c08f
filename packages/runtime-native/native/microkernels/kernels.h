// Declarations of every ISA's microkernel functions, for the table_<isa>.cc files and for ISA files
// that reuse scalar helpers. Declarations only: nothing here may be inline (see microkernels.h).
#pragma once
#include "microkernels.h"

namespace gc {

// Shared packer (scalar TU, non-inline): panels of `nr` columns, zero-padded past N.
size_t f32_gemm_packed_b_floats(int nr, int K, int N);
void f32_gemm_pack_b(int nr, int K, int N, const float* B, int ldb, bool b_transposed, float* packed);

#define GC_DECLARE_ISA_KERNELS(isa)                                                                  \
  size_t f32_gemm_packed_b_floats_##isa(int K, int N);                                               \
  void f32_gemm_pack_b_##isa(int K, int N, const float* B, int ldb, bool b_transposed, float* packed); \
  void f32_gemm_##isa(int M, int K, int N, int panel_begin, int panel_end, const float* A, int lda,   \
                      const float* packed_b, const float* bias, const float* residual, int ldr,      \
                      float* C, int ldc, const ActParams& act);                                      \
  void f32_dwconv_##isa(const WindowParams& p, const float* in, const float* weights,                \
                        const float* bias, float* out, int oy_begin, int oy_end, const ActParams& act); \
  void f32_vbinary_##isa(BinOp op, BinMode mode, size_t n, const float* a, const float* b, float* y);  \
  void f32_vactivation_##isa(const ActParams& act, size_t n, const float* x, float* y);              \
  void f32_maxpool_##isa(const WindowParams& p, const float* in, float* out, int oy_begin, int oy_end); \
  void f32_global_avgpool_##isa(size_t pixels, size_t channels, const float* in, float* out);        \
  void f32_softmax_##isa(size_t rows, size_t n, const float* x, float* y);

GC_DECLARE_ISA_KERNELS(scalar)
GC_DECLARE_ISA_KERNELS(avx2)
GC_DECLARE_ISA_KERNELS(avx512)
#undef GC_DECLARE_ISA_KERNELS

// GEMM tile geometry per ISA (kept next to the declarations so tables and tests agree).
constexpr int kScalarGemmNr = 8, kScalarGemmMr = 4;
constexpr int kAvx2GemmNr = 16, kAvx2GemmMr = 6;
constexpr int kAvx512GemmNr = 48, kAvx512GemmMr = 8;
// Taller tiles when the only panel holds <= 1 or <= 2 vectors of valid columns (16- and 24-channel
// convs): 24 x 1 and 12 x 2 vectors keep 24 accumulators busy, as the full 8 x 3 tile does.
constexpr int kAvx512GemmNarrowMr1 = 24, kAvx512GemmNarrowMr2 = 12;
// K block: an MR x kc strip of A stays in L1 while the kc-row slices of B panels stream from L2.
constexpr int kGemmKc = 512;
// B slice (floats) streamed from L2 per A strip: kc x (panels of a chunk) stays within ~512 KB.
constexpr int kGemmBSliceFloats = 128 * 1024;

}  // namespace gc
