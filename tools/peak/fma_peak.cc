// Single-thread fp32 FMA peak: many independent FMA chains kept in registers (no memory traffic),
// so throughput, not latency, is the limit. Reports GFLOP/s (1 FMA = 2 flops) over thread CPU
// time, median of rounds.
// Built by measure-fma-peak.sh; each function is compiled for its ISA via target attributes so the
// binary runs the AVX2 loop on machines without AVX-512.
#include <immintrin.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <time.h>

namespace {

constexpr long kIters = 20'000'000;

// 16 chains: FMA latency (4 cycles) x 2 ports needs >= 8 independent accumulators.
__attribute__((target("avx512f,fma"))) float ChainsZmm(long iters) {
  __m512 acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-6f);
  for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 16; ++i) s = _mm512_add_ps(s, acc[i]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) float ChainsYmm(long iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
  for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[7];
}

// This thread's CPU time: time slices taken by other processes on a shared machine do not count.
double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

template <typename F>
double MedianGflops(F run, double flops_per_iter, int rounds) {
  std::vector<double> g;
  volatile float sink = 0.f;
  run(kIters / 10);  // warm up clocks
  for (int r = 0; r < rounds; ++r) {
    const double t0 = ThreadSeconds();
    sink = sink + run(kIters);
    const double s = ThreadSeconds() - t0;
    g.push_back(flops_per_iter * kIters / s / 1e9);
  }
  std::sort(g.begin(), g.end());
  return g[g.size() / 2];
}

}  // namespace

// Usage: fma_peak [--json] [--rounds N]
int main(int argc, char** argv) {
  bool json = false;
  int rounds = 7;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) json = true;
    if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
  }
  double avx2 = 0.0, avx512 = 0.0;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) avx2 = MedianGflops(ChainsYmm, 12 * 8 * 2, rounds);
  if (__builtin_cpu_supports("avx512f")) avx512 = MedianGflops(ChainsZmm, 16 * 16 * 2, rounds);
  if (json) {
    std::printf("{\"avx2\": %.2f, \"avx512\": %.2f, \"rounds\": %d, \"threads\": 1}\n", avx2, avx512, rounds);
  } else {
    std::printf("fp32 FMA peak, 1 thread, median of %d rounds:\n", rounds);
    std::printf("  avx2   (ymm): %8.2f GFLOP/s\n", avx2);
    std::printf("  avx512 (zmm): %8.2f GFLOP/s\n", avx512);
  }
  return 0;
}
