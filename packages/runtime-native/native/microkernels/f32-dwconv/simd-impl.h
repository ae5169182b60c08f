// ISA-generic body of the f32 depthwise conv (NHWC, multiplier 1), instantiated by avx2.cc and
// avx512.cc. Channels are the vector axis (blocks of 4 vectors for FMA latency, then 1 vector,
// then a masked tail); the valid tap range is computed once per output pixel, so border pixels
// run the same unchecked loop over a smaller window.
#pragma once
#include "../kernels.h"
#include "../window-impl.h"

namespace gc {
namespace {

template <class S, int NV, bool kMasked>
void DwConvBlock(const WindowParams& p, const float* in, const float* weights, const float* bias, float* o,
                 int c, typename S::Mask mask, int iy0, TapRange ky, int ix0, TapRange kx, const ActParams& act) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  const size_t C = static_cast<size_t>(p.channels);
  auto load = [&](const float* ptr) { return kMasked ? S::LoadMasked(ptr, mask) : S::Load(ptr); };
  V acc[NV];
#pragma GCC unroll 4
  for (int j = 0; j < NV; ++j) acc[j] = bias ? load(bias + c + j * L) : S::Zero();
  for (int y = ky.begin; y < ky.end; ++y) {
    const float* row = in + static_cast<size_t>(iy0 + y * p.dilation_h) * p.in_w * C + c;
    const float* wrow = weights + static_cast<size_t>(y) * p.kernel_w * C + c;
    for (int x = kx.begin; x < kx.end; ++x) {
      const float* xp = row + static_cast<size_t>(ix0 + x * p.dilation_w) * C;
      const float* wp = wrow + static_cast<size_t>(x) * C;
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[j] = S::Fma(load(xp + j * L), load(wp + j * L), acc[j]);
    }
  }
#pragma GCC unroll 4
  for (int j = 0; j < NV; ++j) {
    const V v = S::Activate(acc[j], act);
    if (kMasked) {
      S::StoreMasked(o + c + j * L, mask, v);
    } else {
      S::Store(o + c + j * L, v);
    }
  }
}

template <class S>
void DwConv(const WindowParams& p, const float* in, const float* weights, const float* bias, float* out,
            int oy_begin, int oy_end, const ActParams& act) {
  constexpr int L = S::kLanes;
  const int C = p.channels;
  const typename S::Mask full = S::TailMask(L);
  const typename S::Mask tail = S::TailMask(static_cast<size_t>(C % L));
  for (int oy = oy_begin; oy < oy_end; ++oy) {
    const int iy0 = oy * p.stride_h - p.pad_top;
    const TapRange ky = ValidTaps(oy, p.stride_h, p.pad_top, p.dilation_h, p.kernel_h, p.in_h);
    for (int ox = 0; ox < p.out_w; ++ox) {
      const int ix0 = ox * p.stride_w - p.pad_left;
      const TapRange kx = ValidTaps(ox, p.stride_w, p.pad_left, p.dilation_w, p.kernel_w, p.in_w);
      float* o = out + (static_cast<size_t>(oy) * p.out_w + ox) * C;
      int c = 0;
      for (; c + 4 * L <= C; c += 4 * L) DwConvBlock<S, 4, false>(p, in, weights, bias, o, c, full, iy0, ky, ix0, kx, act);
      for (; c + L <= C; c += L) DwConvBlock<S, 1, false>(p, in, weights, bias, o, c, full, iy0, ky, ix0, kx, act);
      if (c < C) DwConvBlock<S, 1, true>(p, in, weights, bias, o, c, tail, iy0, ky, ix0, kx, act);
    }
  }
}

}  // namespace
}  // namespace gc
