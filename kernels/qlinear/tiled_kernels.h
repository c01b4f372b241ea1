// The choice of quantized-matrix tier at load: an ordered list of named tiers, the first
// this CPU can run wins. A new tier is its own file defining its TiledKernels, plus one
// line in kTiers (tiled_kernels.cpp).
#pragma once

#include <span>

#include "kernels/platform/cpu_features.h"
#include "kernels/qlinear/tiled_gemm.h"

namespace linnet::kernels {

struct TiledTier {
  const char* name;
  bool (*usable)(const CpuFeatures& cpu);
  const TiledKernels* (*kernels)();  // null when this build has no such tier (other ISA)
};

// Every tier, fastest first (the reference last: always usable).
std::span<const TiledTier> tiled_tiers();

// The first usable tier that this build has; the reference when `force_reference`.
const TiledKernels& select_tiled_kernels(const CpuFeatures& cpu, bool force_reference = false);

// Each tier's table, null where this build (ISA) has none. Defined in the tier's own file.
const TiledKernels& tiled_kernels_ref();
const TiledKernels* tiled_kernels_avx2();
const TiledKernels* tiled_kernels_avxvnni();
const TiledKernels* tiled_kernels_neon();
const TiledKernels* tiled_kernels_neon_dotprod();

}  // namespace linnet::kernels
