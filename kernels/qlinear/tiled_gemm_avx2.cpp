// AVX2 tier of the quantized matrix kernels (tiled_gemm.h), from tiled_gemm_x86_impl.h. This
// file is compiled with -mavx2 -mfma -mf16c and only called when the CPU has them
// (tiled_kernels.cpp): x86-64-v3, every x86 CPU since Haswell / Zen 1.
#define LINNET_TILED_X86_VNNI 0
#define LINNET_TILED_X86_NAMESPACE avx2
#include "kernels/qlinear/tiled_gemm_x86_impl.h"
#include "kernels/qlinear/tiled_kernels.h"

namespace linnet::kernels {

const TiledKernels* tiled_kernels_avx2() {
  static constexpr TiledKernels kTable{.name = "avx2",
                                       .quantize_rows = avx2::quantize_rows_avx2,
                                       .gemm_q8t = avx2::gemm_avx2,
                                       .gemm_q4t = avx2::gemm_avx2,
                                       .gemm_q6t = avx2::gemm_avx2};
  return &kTable;
}

}  // namespace linnet::kernels
