// The tiled layouts (bundle.fbs) as written by pack_tiled: byte positions checked against
// the schema's text, the error bound of each encoding, padding rows, and tensor_bytes().
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/bundle/tensor_layout.h"
#include "kernels/qlinear/tiled_pack.h"
#include "kernels/reference/half_ref.h"

namespace linnet::kernels {
namespace {

struct Packed {
  std::vector<std::uint8_t> data, scales;
  TensorView view;
};

Packed pack(DType dtype, const std::vector<float>& w, std::int64_t N, std::int64_t K) {
  const std::int64_t shape[2] = {N, K};
  auto bytes = tensor_bytes(dtype, shape, 0);
  EXPECT_TRUE(bytes.ok());
  Packed p;
  p.data.assign(bytes->data, 0xAA);  // garbage: pack must write every byte it owns
  p.scales.assign(bytes->scales, 0xAA);
  pack_tiled(dtype, w, N, K, 0, (N + 7) / 8, p.data, p.scales);
  p.view = tiled_view(dtype, N, K, p.data, p.scales);
  return p;
}

TEST(TiledLayout, TensorBytesFollowTheSchema) {
  const std::int64_t shape[2] = {13, 64};  // 2 tiles x 2 blocks
  EXPECT_EQ(tensor_bytes(DType::kQ8T, shape, 0)->data, 4u * 256);
  EXPECT_EQ(tensor_bytes(DType::kQ8T, shape, 0)->scales, 16u * 4);
  EXPECT_EQ(tensor_bytes(DType::kQ4T, shape, 0)->data, 4u * 128);
  EXPECT_EQ(tensor_bytes(DType::kQ4T, shape, 0)->scales, 4u * 8 * 2);
  EXPECT_EQ(tensor_bytes(DType::kQ6T, shape, 0)->data, 4u * 192);
  const std::int64_t odd[2] = {8, 48};
  EXPECT_FALSE(tensor_bytes(DType::kQ4T, odd, 0).ok());
}

// One non-zero weight at (n = 9, k = 37): tile 1, block 1, row r = 1, j = 5, so quad q = 1
// and slot s = 4 * 1 + 1 = 5 (bundle.fbs). Tile-block index = 1 * 2 + 1 = 3 with 2 blocks.
TEST(TiledLayout, OneWeightLandsWhereTheSchemaSays) {
  const std::int64_t N = 13, K = 64;
  std::vector<float> w(static_cast<std::size_t>(N * K), 0.0f);
  w[9 * 64 + 37] = -0.5f;
  {
    const Packed p = pack(DType::kQ4T, w, N, K);
    const std::size_t tb = 3 * 128;
    // c = -7 (the block max is the value itself): u = c + 8 = 1 in the low nibble (q < 4)
    // of byte 32 * 1 + 5; every other code is u = 8 (zero).
    EXPECT_EQ(p.data[tb + 32 + 5], 0x81);
    EXPECT_EQ(p.data[tb + 32 + 6], 0x88);
    std::uint16_t h;
    std::memcpy(&h, p.scales.data() + (3 * 8 + 1) * 2, 2);
    EXPECT_NEAR(f16_to_f32(h), 0.5f / 7, 0.5f / 7 * 1e-3);
    EXPECT_EQ(tiled_code(p.view, 9, 37), -7);
  }
  {
    const Packed p = pack(DType::kQ8T, w, N, K);
    EXPECT_EQ(static_cast<std::int8_t>(p.data[3 * 256 + 32 + 5]), -127);
    float s;
    std::memcpy(&s, p.scales.data() + 9 * 4, 4);
    EXPECT_FLOAT_EQ(s, 0.5f / 127);
  }
  {
    // Q6T: c = -31, u = 1: low nibble 1 in byte 32 + 5, high bits 0 in byte 128 + 5 (q / 4 = 0,
    // bits 2..3 for q % 4 = 1); zero codes u = 32 have high bits 2 -> 0b10 in each field.
    const Packed p = pack(DType::kQ6T, w, N, K);
    const std::size_t tb = 3 * 192;
    EXPECT_EQ(p.data[tb + 32 + 5] & 0x0F, 1);
    EXPECT_EQ((p.data[tb + 128 + 5] >> 2) & 3, 0);
    EXPECT_EQ(p.data[tb + 128 + 6], 0xAA);  // 0b10101010: four zero codes' high bits
  }
}

TEST(TiledLayout, EncodingErrorIsHalfAScaleAndPaddingIsZero) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  const std::int64_t N = 21, K = 96;
  std::vector<float> w(static_cast<std::size_t>(N * K));
  for (float& v : w) v = normal(rng);
  for (std::int64_t k = 0; k < 32; ++k) w[static_cast<std::size_t>(4 * K + k)] = 0;  // an all-zero block
  for (DType dtype : {DType::kQ8T, DType::kQ4T, DType::kQ6T}) {
    const Packed p = pack(dtype, w, N, K);
    std::vector<float> row(static_cast<std::size_t>(K));
    for (std::int64_t n = 0; n < N; ++n) {
      dequantize_tiled_row(p.view, n, row.data());
      for (std::int64_t k = 0; k < K; ++k) {
        const float s = tiled_scale(p.view, n, k);
        EXPECT_LE(std::fabs(row[static_cast<std::size_t>(k)] - w[static_cast<std::size_t>(n * K + k)]), s / 2 * (1 + 1e-5f) + 1e-12f)
            << dtype_name(dtype) << " n " << n << " k " << k;
      }
    }
    EXPECT_EQ(tiled_scale(p.view, 4, 0) == 0.0f, dtype != DType::kQ8T);
    // Rows 21..23 of the last tile: zero codes.
    for (std::int64_t n = N; n < 24; ++n)
      for (std::int64_t k = 0; k < K; ++k) EXPECT_EQ(tiled_code(p.view, n, k), 0);
  }
}

}  // namespace
}  // namespace linnet::kernels
