#include "runtime/cpu.h"

#include "runtime/status.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define GC_X86 1
#endif

namespace gc {
namespace {

CpuFeatures Detect() {
  CpuFeatures f;
#ifdef GC_X86
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool osxsave = (ecx >> 27) & 1;
  f.fma = (ecx >> 12) & 1;
  f.f16c = (ecx >> 29) & 1;
  const bool avx = (ecx >> 28) & 1;
  unsigned long long xcr0 = 0;
  if (osxsave) {
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
  }
  f.os_avx = avx && (xcr0 & 0x6) == 0x6;             // SSE + AVX state
  f.os_avx512 = f.os_avx && (xcr0 & 0xe0) == 0xe0;  // opmask + ZMM_Hi256 + Hi16_ZMM
  if (__get_cpuid_max(0, nullptr) >= 7) {
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    f.avx2 = (ebx >> 5) & 1;
    f.avx512f = (ebx >> 16) & 1;
    f.avx512dq = (ebx >> 17) & 1;
    f.avx512bw = (ebx >> 30) & 1;
    f.avx512vl = (ebx >> 31) & 1;
  }
#endif
  return f;
}

const Microkernels* TableFor(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return &kScalarMicrokernels;
    case Isa::kAvx2: return &kAvx2Microkernels;
    case Isa::kAvx512: return &kAvx512Microkernels;
  }
  return nullptr;
}

bool CpuHas(Isa isa) {
  const CpuFeatures& f = GetCpuFeatures();
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2: return f.os_avx && f.avx2 && f.fma && f.f16c;
    case Isa::kAvx512: return f.os_avx512 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.fma;
  }
  return false;
}

}  // namespace

const CpuFeatures& GetCpuFeatures() {
  static const CpuFeatures features = Detect();  // thread-safe one-time init
  return features;
}

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "?";
}

Isa ParseIsa(const std::string& name) {
  if (name == "scalar") return Isa::kScalar;
  if (name == "avx2") return Isa::kAvx2;
  if (name == "avx512") return Isa::kAvx512;
  throw Error(Status::kArgument, "unknown ISA '" + name + "' (expected scalar, avx2 or avx512)");
}

std::vector<Isa> SupportedIsas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (TableFor(isa) != nullptr && CpuHas(isa)) out.push_back(isa);
  }
  return out;
}

Isa SelectIsa(const std::string& requested) {
  const std::vector<Isa> ok = SupportedIsas();
  if (ok.empty()) throw Error(Status::kInternal, "no microkernel table is linked into this build");
  if (requested.empty()) return ok.back();
  const Isa want = ParseIsa(requested);
  for (Isa isa : ok) {
    if (isa == want) return isa;
  }
  std::string have;
  for (Isa isa : ok) have += std::string(have.empty() ? "" : ", ") + IsaName(isa);
  throw Error(Status::kArgument, "ISA '" + requested + "' is not available on this CPU/build (available: " + have +
                                     "); unset GOLDCREST_ISA or pick one of those");
}

const Microkernels& MicrokernelsFor(Isa isa) {
  const Microkernels* t = TableFor(isa);
  if (t == nullptr) throw Error(Status::kArgument, std::string("ISA '") + IsaName(isa) + "' is not linked into this build");
  return *t;
}

}  // namespace gc
