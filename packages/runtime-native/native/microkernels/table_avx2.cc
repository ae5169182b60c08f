// avx2 microkernel table. Entries not yet vectorized point at the scalar TU's (non-inline) functions.
#include "kernels.h"

namespace gc {

extern const Microkernels kAvx2Microkernels = {
    Isa::kAvx2,
    "avx2",
    kAvx2GemmNr,
    f32_gemm_packed_b_floats_avx2,
    f32_gemm_pack_b_avx2,
    f32_gemm_avx2,
    f32_dwconv_scalar,
    f32_vbinary_scalar,
    f32_vactivation_scalar,
    f32_maxpool_scalar,
    f32_global_avgpool_scalar,
    f32_softmax_scalar,
};

}  // namespace gc
