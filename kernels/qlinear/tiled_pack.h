// The tiled weight layouts of Linnet's own matrix kernels (bundle.fbs, dtypes Q8T, Q4T,
// Q6T: the byte layout is stated there once): encoding from float32 for the converter, and
// element access for the reference kernels and the embedding lookup.
//
// Quantization (symmetric, round to nearest):
//   Q8T: per row n: s = max|w[n,:]| / 127 (f32), c = round(w / s) in [-127, 127].
//   Q4T: per row n and block b of 32: s = f16_up(max|w[n,b]| / 7), c = round(w / s) in [-7, 7].
//   Q6T: the same with / 31, c in [-31, 31].
// f16_up rounds the scale up to the next f16, so |w / s| never exceeds 7 (31) and
// |w - c * s| <= s / 2 holds for the stored scale. An all-zero row or block has scale 0.
// Rows N..8*ceil(N/8)-1 of the last tile are zero codes with scale 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "runtime/bundle/bundle_format.h"
#include "runtime/bundle/model_view.h"

namespace linnet::kernels {

// Bytes of one tile-block's codes (8 rows x 32 k) for a tiled dtype.
constexpr std::size_t tile_block_bytes(DType dtype) {
  return dtype == DType::kQ8T ? kQ8TTileBlockBytes : dtype == DType::kQ4T ? kQ4TTileBlockBytes : kQ6TTileBlockBytes;
}

// Writes tiles [tile_begin, tile_end) of the tiled encoding of w [N, K] (row-major,
// K % 32 == 0) into `data` and `scales`, sized for the whole tensor as tensor_bytes() says.
// Tiles are independent: callers may run disjoint ranges concurrently.
void pack_tiled(DType dtype, std::span<const float> w, std::int64_t N, std::int64_t K, std::int64_t tile_begin,
                std::int64_t tile_end, std::span<std::uint8_t> data, std::span<std::uint8_t> scales);

// A view of a tiled tensor's bytes: `dtype` [N, K], data and scales borrowed.
TensorView tiled_view(DType dtype, std::int64_t N, std::int64_t K, std::span<const std::uint8_t> data,
                      std::span<const std::uint8_t> scales);

// A whole tiled tensor in owned buffers (tests and tools; the converter splits pack_tiled over
// threads itself): the encoding of w [N, K].
struct TiledTensor {
  DType dtype = DType::kQ4T;
  std::int64_t N = 0, K = 0;
  std::vector<std::uint8_t> data, scales;
  TensorView view() const { return tiled_view(dtype, N, K, data, scales); }
};
TiledTensor pack_tiled_tensor(DType dtype, std::span<const float> w, std::int64_t N, std::int64_t K);

// The signed code c of element (n, k) and the scale that multiplies it: w = c * scale.
// `w` is a tiled view with n < N, k < K.
int tiled_code(const TensorView& w, std::int64_t n, std::int64_t k);
float tiled_scale(const TensorView& w, std::int64_t n, std::int64_t k);

// Row n of a tiled view as float32: out [K].
void dequantize_tiled_row(const TensorView& w, std::int64_t n, float* out);

}  // namespace linnet::kernels
