// This build is not aarch64: no NEON tiers.
#include "kernels/qlinear/tiled_kernels.h"

namespace linnet::kernels {

const TiledKernels* tiled_kernels_neon() { return nullptr; }
const TiledKernels* tiled_kernels_neon_dotprod() { return nullptr; }

}  // namespace linnet::kernels
