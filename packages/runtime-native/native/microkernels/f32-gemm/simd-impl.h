// ISA-generic body of the f32 GEMM, instantiated by avx2.cc (V256, 6 x 16) and avx512.cc
// (V512, 8 x 48). Include after the ISA's *-common.h; everything stays in the anonymous namespace.
//
// Register tile: MR rows x NR = NV vectors, MR*NV accumulators, A broadcast straight from its rows
// (a strip's kc x MR floats stay in L1), B from packed panels (a single panel of <= 2 valid
// vectors gets taller tiles instead: GemmNarrowPanel). Loops: K blocks of kGemmKc ->
// chunks of panels whose kc-row B slice fits in half of L2 -> MR-row strips -> panels, with B
// prefetched a few rows ahead as it streams from L2. (Measured on SPR: packing A strips cost more
// than it saved; reading B from L1 and A from L2 was slower than this order; packed A strips with an
// inline-asm K loop of {1to16}-broadcast FMAs, 30 uops per k instead of 41, ran 0.97x of this in
// a paired 20-round A/B at 512^3.) Non-final K blocks
// keep partial sums in C; the residual is loaded by the first one, so it may alias C. N tails:
// masked loads/stores, and only the vectors holding valid columns are computed (panels are
// zero-padded, so the FMAs need no mask). M tails instantiate smaller tiles.
#pragma once
#include "../kernels.h"

namespace gc {
namespace {

// B rows fetched ahead of use (the panel slice streams from L2).
constexpr int kGemmPrefetchK = 8;
constexpr int kGemmMaxVectors = 3;

template <class S>
struct GemmTileArgs {
  int kc;
  const float* a;  // A[m0, k0]: first row of the strip
  int lda;
  const float* b;  // panel slice at row k0: NR floats per k
  int nr;
  float* c;
  int ldc;
  typename S::Mask mask[kGemmMaxVectors];  // valid columns of each vector
  const float* bias;        // at column n0, or null
  const float* res;         // at (row, n0), or null
  int ldr;
  const ActParams* act;
  bool first, last;  // first K block starts from the residual (or 0); last adds bias and activates
};

// A tile's accumulators before its K loop: partial sums from C (later K blocks), the residual
// (first K block; it may alias C, as it is read before this tile writes C), or zero.
template <class S, int R, int NV>
__attribute__((always_inline)) inline void GemmTileInit(const GemmTileArgs<S>& t, typename S::V (&acc)[R][NV]) {
  constexpr int L = S::kLanes;
#pragma GCC unroll 32
  for (int i = 0; i < R; ++i) {
    const float* init = !t.first ? t.c + static_cast<size_t>(i) * t.ldc : t.res ? t.res + static_cast<size_t>(i) * t.ldr : nullptr;
#pragma GCC unroll 3
    for (int j = 0; j < NV; ++j) acc[i][j] = init ? S::LoadMasked(init + j * L, t.mask[j]) : S::Zero();
  }
}

// After the K loop: the last K block adds the bias and activates; then the tile is stored.
template <class S, int R, int NV>
__attribute__((always_inline)) inline void GemmTileFinish(const GemmTileArgs<S>& t, typename S::V (&acc)[R][NV]) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  if (t.last) {
    V bias[NV];
#pragma GCC unroll 3
    for (int j = 0; j < NV; ++j) bias[j] = t.bias ? S::LoadMasked(t.bias + j * L, t.mask[j]) : S::Zero();
#pragma GCC unroll 32
    for (int i = 0; i < R; ++i) {
#pragma GCC unroll 3
      for (int j = 0; j < NV; ++j) acc[i][j] = Activate<S>(S::Add(acc[i][j], bias[j]), *t.act);
    }
  }
#pragma GCC unroll 32
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 3
    for (int j = 0; j < NV; ++j) S::StoreMasked(t.c + static_cast<size_t>(i) * t.ldc + j * L, t.mask[j], acc[i][j]);
  }
}

// R rows x NV vectors of columns (NV below the panel's width serves narrow N tails, e.g. 16- or
// 24-channel convs, skipping the zero-padded vectors).
template <class S, int R, int NV, bool kPrefetchB = true>
void GemmTile(const GemmTileArgs<S>& t) {
  using V = typename S::V;
  constexpr int L = S::kLanes;
  V acc[R][NV];
  GemmTileInit<S, R, NV>(t, acc);
  const float* ap[R];
#pragma GCC unroll 32
  for (int i = 0; i < R; ++i) ap[i] = t.a + static_cast<size_t>(i) * t.lda;
  const float* b = t.b;
  for (int k = 0; k < t.kc; ++k, b += t.nr) {
    V bv[NV];
#pragma GCC unroll 2
    for (int j = 0; j < NV; ++j) {
      if constexpr (kPrefetchB) _mm_prefetch(reinterpret_cast<const char*>(b + kGemmPrefetchK * t.nr + j * L), _MM_HINT_T0);
      bv[j] = S::Load(b + j * L);
    }
#pragma GCC unroll 32
    for (int i = 0; i < R; ++i) {
      const V av = S::Set1(ap[i][k]);
#pragma GCC unroll 2
      for (int j = 0; j < NV; ++j) acc[i][j] = S::Fma(av, bv[j], acc[i][j]);
    }
  }
  GemmTileFinish<S, R, NV>(t, acc);
}

// rows in [1, R]: one instantiation per row count.
template <class S, int R, int NV, bool kPrefetchB = true>
void GemmTileRows(int rows, const GemmTileArgs<S>& t) {
  if (rows == R) {
    GemmTile<S, R, NV, kPrefetchB>(t);
  } else if constexpr (R > 1) {
    GemmTileRows<S, R - 1, NV, kPrefetchB>(rows, t);
  }
}

// Only the vectors holding valid columns are computed (panels are zero-padded past N).
template <class S, int MR, int NV>
void GemmTileAny(int rows, int cols, const GemmTileArgs<S>& t) {
  if constexpr (NV > 1) {
    if (cols <= (NV - 1) * S::kLanes) return GemmTileAny<S, MR, NV - 1>(rows, cols, t);
  }
  GemmTileRows<S, MR, NV>(rows, t);
}

// Points `t` at panel p for the K block at k0: its valid columns' masks, its B slice and bias.
// Returns the number of valid columns.
template <class S, int NV>
int AimAtPanel(GemmTileArgs<S>& t, int p, int N, int K, int k0, const float* packed_b, const float* bias) {
  constexpr int L = S::kLanes, NR = NV * L;
  const int n0 = p * NR;
  const int cols = N - n0 < NR ? N - n0 : NR;
  for (int j = 0; j < NV; ++j) t.mask[j] = S::TailMask(cols > j * L ? static_cast<size_t>(cols - j * L) : 0);
  t.b = packed_b + static_cast<size_t>(p) * K * NR + static_cast<size_t>(k0) * NR;
  t.bias = bias ? bias + n0 : nullptr;
  return cols;
}

// Narrow N: one panel whose valid columns fit in NVN vectors. The tile is RN rows tall, using the
// registers the panel's missing vectors leave free (conv layers with 16 or 24 output channels:
// 8 x 2 vectors would keep only 16 accumulators busy and spend a broadcast per 2 FMAs).
template <class S, int RN, int NVN>
void GemmNarrowPanel(int M, const float* A, int lda, int k0, GemmTileArgs<S>& t, float* C, int ldc, const float* residual,
                     int ldr, int n0) {
  for (int m0 = 0; m0 < M; m0 += RN) {
    const int rows = M - m0 < RN ? M - m0 : RN;
    t.a = A + static_cast<size_t>(m0) * lda + k0;
    t.c = C + static_cast<size_t>(m0) * ldc + n0;
    t.res = residual ? residual + static_cast<size_t>(m0) * ldr + n0 : nullptr;
    GemmTileRows<S, RN, NVN, false>(rows, t);
  }
}

template <class S, int MR, int NV, int kNarrowRows1 = 0, int kNarrowRows2 = 0>
void GemmDriver(int M, int K, int N, int panel_begin, int panel_end, const float* A, int lda,
                const float* packed_b, const float* bias, const float* residual, int ldr, float* C, int ldc,
                const ActParams& act) {
  constexpr int L = S::kLanes;
  constexpr int NR = NV * L;
  static_assert(NV <= kGemmMaxVectors, "GemmTileArgs holds kGemmMaxVectors masks");
  // A single panel with at most two valid vectors takes the taller narrow tiles.
  const bool narrow = kNarrowRows1 > 0 && panel_end - panel_begin == 1 && N - panel_begin * NR <= 2 * L;
  for (int k0 = 0;; k0 += kGemmKc) {
    const int kc = K - k0 < kGemmKc ? K - k0 : kGemmKc;
    GemmTileArgs<S> t;
    t.kc = kc;
    t.nr = NR;
    t.lda = lda;
    t.ldc = ldc;
    t.ldr = ldr;
    t.act = &act;
    t.first = k0 == 0;
    t.last = k0 + kc >= K;
    if constexpr (kNarrowRows1 > 0 && kNarrowRows2 > 0) {
      if (narrow) {
        const int n0 = panel_begin * NR;
        if (AimAtPanel<S, NV>(t, panel_begin, N, K, k0, packed_b, bias) <= L) {
          GemmNarrowPanel<S, kNarrowRows1, 1>(M, A, lda, k0, t, C, ldc, residual, ldr, n0);
        } else {
          GemmNarrowPanel<S, kNarrowRows2, 2>(M, A, lda, k0, t, C, ldc, residual, ldr, n0);
        }
        if (t.last) break;
        continue;
      }
    }
    // Panel chunks bound the B slice streamed per strip (kc x chunk columns) to half of L2.
    const int chunk = kGemmBSliceFloats / (NR * (kc > 0 ? kc : 1)) > 1 ? kGemmBSliceFloats / (NR * (kc > 0 ? kc : 1)) : 1;
    for (int pc = panel_begin; pc < panel_end; pc += chunk) {
      const int pc_end = panel_end - pc < chunk ? panel_end : pc + chunk;
      for (int m0 = 0; m0 < M; m0 += MR) {
        const int rows = M - m0 < MR ? M - m0 : MR;
        t.a = A + static_cast<size_t>(m0) * lda + k0;
        for (int p = pc; p < pc_end; ++p) {
          const int n0 = p * NR;
          const int cols = AimAtPanel<S, NV>(t, p, N, K, k0, packed_b, bias);
          t.c = C + static_cast<size_t>(m0) * ldc + n0;
          t.res = residual ? residual + static_cast<size_t>(m0) * ldr + n0 : nullptr;
          GemmTileAny<S, MR, NV>(rows, cols, t);
        }
      }
    }
    if (t.last) break;
  }
}

}  // namespace
}  // namespace gc
