// CPU feature detection (once per process) and ISA selection for the microkernel tables.
#pragma once
#include <string>
#include <vector>

#include "microkernels/microkernels.h"

namespace gc {

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool os_avx = false, os_avx512 = false;  // XCR0 says the OS saves the YMM / ZMM state
};

const CpuFeatures& GetCpuFeatures();

// ISAs usable on this machine, i.e. supported by the CPU and OS and linked into this build.
std::vector<Isa> SupportedIsas();
const char* IsaName(Isa isa);
// Parses "scalar" | "avx2" | "avx512"; throws Error(kArgument) otherwise.
Isa ParseIsa(const std::string& name);
// The best supported ISA, or `requested` when given ("" = best). Throws Error(kArgument) when the
// requested ISA is not available here.
Isa SelectIsa(const std::string& requested);
const Microkernels& MicrokernelsFor(Isa isa);

}  // namespace gc
