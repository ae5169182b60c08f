// f32 activations, avx2: the generic body in simd-impl.h on V256.
#include "../avx2-common.h"
#include "simd-impl.h"

namespace gc {

void f32_vactivation_avx2(const ActParams& act, size_t n, const float* x, float* y) { VActivation<V256>(act, n, x, y); }

}  // namespace gc
