// This build is not x86-64: no AVX2 or AVX-VNNI tier.
#include "kernels/qlinear/tiled_kernels.h"

namespace linnet::kernels {

const TiledKernels* tiled_kernels_avx2() { return nullptr; }
const TiledKernels* tiled_kernels_avxvnni() { return nullptr; }

}  // namespace linnet::kernels
