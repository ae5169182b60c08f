// avx2 microkernel table. Entries not yet vectorized point at the scalar TU's (non-inline) functions.
#include "kernels.h"

namespace gc {

extern const Microkernels kAvx2Microkernels = {
    Isa::kAvx2,
    "avx2",
    kScalarGemmNr,
    f32_gemm_packed_b_floats_scalar,
    f32_gemm_pack_b_scalar,
    f32_gemm_scalar,
    f32_dwconv_scalar,
    f32_vbinary_scalar,
    f32_vactivation_scalar,
    f32_maxpool_scalar,
    f32_global_avgpool_scalar,
    f32_softmax_scalar,
};

}  // namespace gc
