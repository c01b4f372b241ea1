// AVX-VNNI tier of the quantized matrix kernels (tiled_gemm.h), from tiled_gemm_x86_impl.h:
// vpdpbusd in place of vpmaddubsw + vpmaddwd. Compiled with -mavx2 -mfma -mf16c -mavxvnni
// and only called when cpuinfo reports AVX-VNNI (Alder Lake and later, Sapphire Rapids,
// Zen 5). The quantizer is the AVX2 one (the same code, built here with these flags).
#define LINNET_TILED_X86_VNNI 1
#define LINNET_TILED_X86_NAMESPACE avxvnni
#include "kernels/qlinear/tiled_gemm_x86_impl.h"
#include "kernels/qlinear/tiled_kernels.h"

namespace linnet::kernels {

const TiledKernels* tiled_kernels_avxvnni() {
  static constexpr TiledKernels kTable{.name = "avx-vnni",
                                       .quantize_rows = avxvnni::quantize_rows_avx2,
                                       .gemm_q8t = avxvnni::gemm_avx2,
                                       .gemm_q4t = avxvnni::gemm_avx2,
                                       .gemm_q6t = avxvnni::gemm_avx2};
  return &kTable;
}

}  // namespace linnet::kernels
