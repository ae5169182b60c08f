// avx512 microkernel table: every entry is this ISA's own code (the B packer is the shared scalar one).
#include "kernels.h"

namespace gc {

extern const Microkernels kAvx512Microkernels = {
    Isa::kAvx512,
    "avx512",
    kAvx512GemmNr,
    f32_gemm_packed_b_floats_avx512,
    f32_gemm_pack_b_avx512,
    f32_gemm_avx512,
    f32_dwconv_avx512,
    f32_vbinary_avx512,
    f32_vactivation_avx512,
    f32_maxpool_avx512,
    f32_global_avgpool_avx512,
    f32_softmax_avx512,
    kAvx512GemmMr,
    kGemmKc,
};

}  // namespace gc
