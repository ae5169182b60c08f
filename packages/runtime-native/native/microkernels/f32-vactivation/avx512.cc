// f32 activations, avx512: the generic body in simd-impl.h on V512.
#include "../avx512-common.h"
#include "simd-impl.h"

namespace gc {

void f32_vactivation_avx512(const ActParams& act, size_t n, const float* x, float* y) { VActivation<V512>(act, n, x, y); }

}  // namespace gc
