// Window geometry shared by the SIMD depthwise-conv and pooling bodies (ISA files only; internal
// linkage). The scalar reference checks every tap instead, so the two paths stay independent.
#pragma once
#include "microkernels.h"

namespace gc {
namespace {

// Taps k in [begin, end) of a window whose input coordinate o*stride - pad + k*dilation lies in
// [0, in): computed once per output coordinate, so the tap loops need no bounds checks.
struct TapRange {
  int begin, end;
};

inline TapRange ValidTaps(int o, int stride, int pad, int dilation, int kernel, int in) {
  const int i0 = o * stride - pad;
  int begin = 0;
  if (i0 < 0) begin = (-i0 + dilation - 1) / dilation;
  int end = kernel;
  const int last = i0 + (kernel - 1) * dilation;
  if (last >= in) end = i0 > in - 1 ? 0 : (in - 1 - i0) / dilation + 1;
  if (end < begin) end = begin;
  return {begin, end};
}

}  // namespace
}  // namespace gc
