// avx512 microkernel table. Entries not yet vectorized point at the scalar TU's (non-inline) functions.
#include "kernels.h"

namespace gc {

extern const Microkernels kAvx512Microkernels = {
    Isa::kAvx512,
    "avx512",
    kAvx512GemmNr,
    f32_gemm_packed_b_floats_avx512,
    f32_gemm_pack_b_avx512,
    f32_gemm_avx512,
    f32_dwconv_scalar,
    f32_vbinary_scalar,
    f32_vactivation_scalar,
    f32_maxpool_scalar,
    f32_global_avgpool_scalar,
    f32_softmax_scalar,
};

}  // namespace gc
