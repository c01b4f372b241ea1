#include "kernels/qlinear/tiled_kernels.h"

namespace linnet::kernels {
namespace {

const TiledKernels* reference_tier() { return &tiled_kernels_ref(); }

// Fastest first. AVX2 also needs FMA and F16C (x86-64-v3: every AVX2 CPU has them, but
// cpuinfo reports them separately).
constexpr TiledTier kTiers[] = {
    {"neon+dotprod", [](const CpuFeatures& c) { return c.neon && c.dotprod; }, tiled_kernels_neon_dotprod},
    {"neon", [](const CpuFeatures& c) { return c.neon; }, tiled_kernels_neon},
    {"avx-vnni", [](const CpuFeatures& c) { return c.avxvnni && c.avx2 && c.fma3 && c.f16c; }, tiled_kernels_avxvnni},
    {"avx2", [](const CpuFeatures& c) { return c.avx2 && c.fma3 && c.f16c; }, tiled_kernels_avx2},
    {"reference", [](const CpuFeatures&) { return true; }, reference_tier},
};

}  // namespace

std::span<const TiledTier> tiled_tiers() { return kTiers; }

const TiledKernels& select_tiled_kernels(const CpuFeatures& cpu, bool force_reference) {
  if (!force_reference) {
    for (const TiledTier& tier : kTiers) {
      if (!tier.usable(cpu)) continue;
      if (const TiledKernels* k = tier.kernels()) return *k;
    }
  }
  return tiled_kernels_ref();
}

}  // namespace linnet::kernels
