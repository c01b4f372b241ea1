// Linnet's quantized matrix kernels: y[t, n] = sum_k W[n, k] x[t, k] with W in a tiled
// layout (bundle.fbs: Q8T, Q4T, Q6T; 8-row tiles, blocks of 32 along K) used in place from
// the mapped bundle, and x quantized on the fly to int8 per block of 32 (QuantizedRows).
//
// The arithmetic every tier computes (qgemm_ref.cpp is the oracle):
//   Q4T, Q6T: y[t, n] = sum_b ws[n, b] * xd[t, b] * sum_{k in b} c[n, k] xq[t, k]
//   Q8T:      y[t, n] = ws[n] * sum_b xd[t, b] * sum_{k in b} c[n, k] xq[t, k]
// with exact int32 block sums; the tiers differ only in float rounding (fused multiply-adds),
// so the tests compare them to the reference within a few float ulps of sum |terms|.
//
// Tiers (tiled_kernels.cpp picks one at load from the CPU's features): the scalar reference;
// AVX2 (x86-64-v3, vpmaddubsw with a broadcast 4-byte activation); NEON (SMULL/SADALP, the
// Pi 4's A72); NEON with the dot-product extension (SDOT: Pi 5's A76, Orin's A78AE).
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/bundle/model_view.h"

namespace linnet::kernels {

// Activations x [rows, K] quantized per block of 32: d = max|x[block]| / 127, q = round(x / d)
// (computed as round(x * (127 / max)), ties to even; an all-zero block has d = 0, q = 0).
// sum is the block's sum of q (the AVX2 kernels read unsigned weight codes with a zero
// point and subtract zero_point * sum). Non-finite inputs give unspecified (finite) codes.
// Storage is borrowed (the linear backend's scratch); q rows are K bytes apart.
struct QuantizedRows {
  std::int8_t* q = nullptr;   // [rows, K]
  float* d = nullptr;         // [rows, K / 32]
  std::int32_t* sum = nullptr;  // [rows, K / 32]
  int rows = 0;
  int K = 0;  // a multiple of 32
};

// A tiled weight as the kernels read it (pointers into the mapped bundle).
struct TiledMatrix {
  DType dtype = DType::kQ4T;
  const std::uint8_t* codes = nullptr;  // [ceil(N/8)][K/32][tile-block bytes]
  const void* scales = nullptr;         // Q8T: f32 [ceil(N/8) * 8]; Q4T/Q6T: f16 [ceil(N/8)][K/32][8]
  std::int64_t N = 0;
  std::int64_t K = 0;
};

// Quantizes rows [row_begin, row_end) of x (row r at x + r * x_stride) into out (sized for
// out.rows x out.K).
using QuantizeRowsFn = void (*)(const float* x, std::size_t x_stride, int row_begin, int row_end,
                                const QuantizedRows& out);

// Tiles [tile_begin, tile_end) of y for every row of x: y[t, n] for n in [8 * tile_begin,
// min(N, 8 * tile_end)), at y + t * y_stride + n. y must not alias the inputs.
using TiledGemmFn = void (*)(const TiledMatrix& w, const QuantizedRows& x, std::int64_t tile_begin,
                             std::int64_t tile_end, float* y, std::size_t y_stride);

// One tier's kernels, filled by name (designated initializers); every entry is set.
struct TiledKernels {
  const char* name = nullptr;  // "reference", "avx2", "neon", "neon+dotprod"
  QuantizeRowsFn quantize_rows = nullptr;
  TiledGemmFn gemm_q8t = nullptr;
  TiledGemmFn gemm_q4t = nullptr;
  TiledGemmFn gemm_q6t = nullptr;

  TiledGemmFn gemm_for(DType dtype) const {
    return dtype == DType::kQ8T ? gemm_q8t : dtype == DType::kQ4T ? gemm_q4t : gemm_q6t;
  }
};

// ---- the reference (portable C++, the oracle) -------------------------------------------
void quantize_rows_ref(const float* x, std::size_t x_stride, int row_begin, int row_end, const QuantizedRows& out);
void tiled_gemm_ref(const TiledMatrix& w, const QuantizedRows& x, std::int64_t tile_begin, std::int64_t tile_end,
                    float* y, std::size_t y_stride);

}  // namespace linnet::kernels
