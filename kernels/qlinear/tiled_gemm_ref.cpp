// The scalar reference of the quantized matrix kernels (tiled_gemm.h): the same integer
// block sums and the same per-block float accumulation as the SIMD tiers, element by element.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/qlinear/tiled_gemm.h"
#include "kernels/qlinear/tiled_kernels.h"
#include "kernels/qlinear/tiled_pack.h"
#include "kernels/reference/half_ref.h"

namespace linnet::kernels {
namespace {

constexpr int kBlock = static_cast<int>(kTileBlockK);
constexpr int kRows = static_cast<int>(kTileRows);


}  // namespace

void quantize_rows_ref(const float* x, std::size_t x_stride, int row_begin, int row_end, const QuantizedRows& out) {
  const int blocks = out.K / kBlock;
  for (int t = row_begin; t < row_end; ++t) {
    const float* row = x + static_cast<std::size_t>(t) * x_stride;
    std::int8_t* q = out.q + static_cast<std::size_t>(t) * static_cast<std::size_t>(out.K);
    for (int b = 0; b < blocks; ++b) {
      float m = 0;
      for (int j = 0; j < kBlock; ++j) m = std::max(m, std::fabs(row[b * kBlock + j]));
      const float inv = m > 0 ? 127.0f / m : 0.0f;
      std::int32_t sum = 0;
      for (int j = 0; j < kBlock; ++j) {
        float v = std::nearbyint(row[b * kBlock + j] * inv);
        if (!(std::fabs(v) <= 127.0f)) v = 0;  // NaN / inf inputs: any finite code will do
        q[b * kBlock + j] = static_cast<std::int8_t>(v);
        sum += static_cast<std::int32_t>(v);
      }
      out.d[static_cast<std::size_t>(t) * static_cast<std::size_t>(blocks) + static_cast<std::size_t>(b)] = m / 127.0f;
      out.sum[static_cast<std::size_t>(t) * static_cast<std::size_t>(blocks) + static_cast<std::size_t>(b)] = sum;
    }
  }
}

void tiled_gemm_ref(const TiledMatrix& w, const QuantizedRows& x, std::int64_t tile_begin, std::int64_t tile_end,
                    float* y, std::size_t y_stride) {
  // Element access through the layout's own reader (the scales' length is not needed).
  const auto codes = std::span(w.codes, static_cast<std::size_t>(0));
  const auto scales = std::span(static_cast<const std::uint8_t*>(w.scales), static_cast<std::size_t>(0));
  const TensorView v = tiled_view(w.dtype, w.N, w.K, codes, scales);
  const int blocks = x.K / kBlock;
  for (std::int64_t n = tile_begin * kRows; n < std::min(w.N, tile_end * kRows); ++n) {
    for (int t = 0; t < x.rows; ++t) {
      const std::int8_t* q = x.q + static_cast<std::size_t>(t) * static_cast<std::size_t>(x.K);
      const float* d = x.d + static_cast<std::size_t>(t) * static_cast<std::size_t>(blocks);
      float acc = 0;
      for (int b = 0; b < blocks; ++b) {
        std::int32_t isum = 0;
        for (int j = 0; j < kBlock; ++j) isum += tiled_code(v, n, b * kBlock + j) * q[b * kBlock + j];
        if (w.dtype == DType::kQ8T)
          acc += static_cast<float>(isum) * d[b];
        else
          acc += static_cast<float>(isum) * tiled_scale(v, n, b * kBlock) * d[b];
      }
      if (w.dtype == DType::kQ8T) acc *= tiled_scale(v, n, 0);
      y[static_cast<std::size_t>(t) * y_stride + static_cast<std::size_t>(n)] = acc;
    }
  }
}

const TiledKernels& tiled_kernels_ref() {
  static constexpr TiledKernels kTable{.name = "reference",
                                       .quantize_rows = quantize_rows_ref,
                                       .gemm_q8t = tiled_gemm_ref,
                                       .gemm_q4t = tiled_gemm_ref,
                                       .gemm_q6t = tiled_gemm_ref};
  return kTable;
}

}  // namespace linnet::kernels
