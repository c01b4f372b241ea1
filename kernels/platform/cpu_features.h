// What this CPU can do, read once from cpuinfo (which reads /proc/cpuinfo and the auxiliary
// vector; in the build root it needs /proc and /sys mounted). Kernel choice at load and the
// packed-weights cache key both come from here.
#pragma once

#include <string>

#include "runtime/core/result.h"

namespace linnet::kernels {

struct CpuFeatures {
  // aarch64
  bool neon = false;        // Advanced SIMD (every aarch64 core)
  bool dotprod = false;     // SDOT/UDOT (Cortex-A76 and later; not the Pi 4's A72)
  bool fp16_arith = false;  // FEAT_FP16 half-precision arithmetic
  bool i8mm = false;        // SMMLA/USMMLA int8 matrix multiply (Armv8.6; not on A72/A76/A78AE)
  // x86-64
  bool avx2 = false;
  bool fma3 = false;
  bool f16c = false;  // half <-> float conversions (x86-64-v3)
  bool avx512f = false;
  bool avx512vnni = false;
  bool avxvnni = false;

  int cores = 1;            // logical processors
  std::string uarch;        // of processor 0, e.g. "cortex-a76", "zen3"

  // Stable text of every flag, e.g. "aarch64 neon dotprod fp16" (the cache key uses it).
  std::string summary() const;
};

// Initialises cpuinfo (idempotent) and reads the flags. Fails when cpuinfo cannot read the
// system (no /proc or /sys).
Result<CpuFeatures> detect_cpu_features();

}  // namespace linnet::kernels
