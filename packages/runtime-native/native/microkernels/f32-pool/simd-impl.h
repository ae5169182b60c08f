// ISA-generic bodies of f32 max pooling and global average pooling (NHWC), instantiated by
// avx2.cc and avx512.cc. Channels are the vector axis; masked tails for odd channel counts.
#pragma once
#include "../kernels.h"
#include "../window-impl.h"

namespace gc {
namespace {

template <class S, int NV, bool kMasked>
void MaxPoolBlock(const WindowParams& p, const float* in, float* o, int c, typename S::Mask mask, int iy0,
                  TapRange ky, int ix0, TapRange kx) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  const size_t C = static_cast<size_t>(p.channels);
  V acc[NV];
#pragma GCC unroll 4
  for (int j = 0; j < NV; ++j) acc[j] = S::Set1(-__builtin_inff());
  for (int y = ky.begin; y < ky.end; ++y) {
    const float* row = in + static_cast<size_t>(iy0 + y * p.dilation_h) * p.in_w * C + c;
    for (int x = kx.begin; x < kx.end; ++x) {
      const float* xp = row + static_cast<size_t>(ix0 + x * p.dilation_w) * C;
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[j] = S::Max(acc[j], kMasked ? S::LoadMasked(xp, mask) : S::Load(xp + j * L));
    }
  }
#pragma GCC unroll 4
  for (int j = 0; j < NV; ++j) {
    if (kMasked) {
      S::StoreMasked(o + c, mask, acc[j]);
    } else {
      S::Store(o + c + j * L, acc[j]);
    }
  }
}

template <class S>
void MaxPool(const WindowParams& p, const float* in, float* out, int oy_begin, int oy_end) {
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
      for (; c + 4 * L <= C; c += 4 * L) MaxPoolBlock<S, 4, false>(p, in, o, c, full, iy0, ky, ix0, kx);
      for (; c + L <= C; c += L) MaxPoolBlock<S, 1, false>(p, in, o, c, full, iy0, ky, ix0, kx);
      if (c < C) MaxPoolBlock<S, 1, true>(p, in, o, c, tail, iy0, ky, ix0, kx);
    }
  }
}

// Sums pixels in order per channel (as the scalar path does), NV vectors of channels at a time.
template <class S, int NV, bool kMasked>
void AvgPoolBlock(size_t pixels, size_t channels, const float* in, float* out, size_t c, typename S::Mask mask,
                  float scale) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  V acc[NV];
#pragma GCC unroll 4
  for (int j = 0; j < NV; ++j) acc[j] = S::Zero();
  for (size_t px = 0; px < pixels; ++px) {
    const float* x = in + px * channels + c;
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) acc[j] = S::Add(acc[j], kMasked ? S::LoadMasked(x, mask) : S::Load(x + j * L));
  }
#pragma GCC unroll 4
  for (int j = 0; j < NV; ++j) {
    const V v = S::Mul(acc[j], S::Set1(scale));
    if (kMasked) {
      S::StoreMasked(out + c, mask, v);
    } else {
      S::Store(out + c + j * L, v);
    }
  }
}

template <class S>
void GlobalAvgPool(size_t pixels, size_t channels, const float* in, float* out) {
  constexpr size_t L = S::kLanes;
  const float scale = pixels ? 1.f / static_cast<float>(pixels) : 0.f;
  const typename S::Mask full = S::TailMask(L);
  size_t c = 0;
  for (; c + 4 * L <= channels; c += 4 * L) AvgPoolBlock<S, 4, false>(pixels, channels, in, out, c, full, scale);
  for (; c + L <= channels; c += L) AvgPoolBlock<S, 1, false>(pixels, channels, in, out, c, full, scale);
  if (c < channels) AvgPoolBlock<S, 1, true>(pixels, channels, in, out, c, S::TailMask(channels - c), scale);
}

}  // namespace
}  // namespace gc
