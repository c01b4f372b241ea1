#include "kernels/platform/cpu_features.h"

#include <cpuinfo.h>

namespace linnet::kernels {

namespace {

const char* uarch_name(cpuinfo_uarch u) {
  switch (u) {
    case cpuinfo_uarch_cortex_a53: return "cortex-a53";
    case cpuinfo_uarch_cortex_a55: return "cortex-a55";
    case cpuinfo_uarch_cortex_a72: return "cortex-a72";
    case cpuinfo_uarch_cortex_a76: return "cortex-a76";
    case cpuinfo_uarch_cortex_a78: return "cortex-a78";
    case cpuinfo_uarch_neoverse_n1: return "neoverse-n1";
    case cpuinfo_uarch_zen: return "zen";
    case cpuinfo_uarch_zen2: return "zen2";
    case cpuinfo_uarch_zen3: return "zen3";
    case cpuinfo_uarch_zen4: return "zen4";
    default: return "other";
  }
}

}  // namespace

std::string CpuFeatures::summary() const {
  std::string s;
#if defined(__aarch64__)
  s = "aarch64";
#elif defined(__x86_64__)
  s = "x86_64";
#else
  s = "other";
#endif
  const auto add = [&](bool on, const char* name) {
    if (on) s += std::string(" ") + name;
  };
  add(neon, "neon");
  add(dotprod, "dotprod");
  add(fp16_arith, "fp16");
  add(i8mm, "i8mm");
  add(avx2, "avx2");
  add(fma3, "fma3");
  add(f16c, "f16c");
  add(avx512f, "avx512f");
  add(avx512vnni, "avx512vnni");
  add(avxvnni, "avxvnni");
  s += " uarch=" + uarch;
  return s;
}

Result<CpuFeatures> detect_cpu_features() {
  if (!cpuinfo_initialize()) {
    return Error(ErrorCode::kIo, "cpuinfo: cannot read the processor's features (are /proc and /sys mounted?)");
  }
  CpuFeatures f;
#if defined(__aarch64__)
  f.neon = cpuinfo_has_arm_neon();
  f.dotprod = cpuinfo_has_arm_neon_dot();
  f.fp16_arith = cpuinfo_has_arm_neon_fp16_arith();
  f.i8mm = cpuinfo_has_arm_i8mm();
#elif defined(__x86_64__)
  f.avx2 = cpuinfo_has_x86_avx2();
  f.fma3 = cpuinfo_has_x86_fma3();
  f.f16c = cpuinfo_has_x86_f16c();
  f.avx512f = cpuinfo_has_x86_avx512f();
  f.avx512vnni = cpuinfo_has_x86_avx512vnni();
  f.avxvnni = cpuinfo_has_x86_avxvnni();
#endif
  f.cores = static_cast<int>(cpuinfo_get_processors_count());
  const cpuinfo_processor* p = cpuinfo_get_processor(0);
  f.uarch = (p != nullptr && p->core != nullptr) ? uarch_name(p->core->uarch) : "unknown";
  return f;
}

}  // namespace linnet::kernels
