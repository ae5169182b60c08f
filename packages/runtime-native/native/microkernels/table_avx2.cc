// avx2 microkernel table: every entry is this ISA's own code (the B packer is the shared scalar one).
#include "kernels.h"

namespace gc {

extern const Microkernels kAvx2Microkernels = {
    Isa::kAvx2,
    "avx2",
    kAvx2GemmNr,
    f32_gemm_packed_b_floats_avx2,
    f32_gemm_pack_b_avx2,
    f32_gemm_avx2,
    f32_dwconv_avx2,
    f32_vbinary_avx2,
    f32_vactivation_avx2,
    f32_maxpool_avx2,
    f32_global_avgpool_avx2,
    f32_softmax_avx2,
    kAvx2GemmMr,
    kGemmKc,
};

}  // namespace gc
