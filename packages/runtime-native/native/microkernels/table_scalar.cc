// Scalar microkernel table: the portable reference path every SIMD table is tested against.
#include "kernels.h"

namespace gc {

extern const Microkernels kScalarMicrokernels = {
    Isa::kScalar,
    "scalar",
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
    kScalarGemmMr,
    0,
};

}  // namespace gc
