// What the two NEON tiers of the quantized matrix kernels share (tiled_gemm.h):
// tiled_gemm_neon.cpp (SMLAL/SADALP, the Pi 4's Cortex-A72) and tiled_gemm_neon_dotprod.cpp
// (SDOT, the Pi 5's A76 and the Orin's A78AE). Included only by those two files (aarch64).
//
// A tile-block (8 rows x 32 k, bundle.fbs) is read as 16-byte halves: bytes 32q..32q+15 of
// k-quad q are rows 0..3 x 4 consecutive k (slot s = 4r + i), bytes 32q+16..32q+31 rows
// 4..7. The token's 32 activation bytes of the block are two vectors: x_low (k 0..15, lane
// c of its int32 view = quad c) and x_high (k 16..31, lane c = quad c + 4).
// Here: the activation row pointers of a register block of tokens, the unpacking of Q4T
// and Q6T codes to int8 vectors, the f16 block scales, the walk over tiles and token
// groups, and the NEON quantizer (defined in tiled_gemm_neon.cpp, used by both tables).
#pragma once

#include <arm_neon.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "kernels/qlinear/tiled_gemm.h"

namespace linnet::kernels::neon {

inline constexpr int kBlock = 32;   // k per block
inline constexpr int kRows = 8;     // rows per tile
inline constexpr int kMaxTokens = 4;  // rows of x per register block at most (they share the unpacked weights)

// Bit-identical to quantize_rows_ref (tiled_gemm_neon.cpp).
void quantize_rows_neon(const float* x, std::size_t x_stride, int row_begin, int row_end, const QuantizedRows& out);

// Activation pointers of the tokens t0..t0+T-1 of one register block.
struct TokenRows {
  const std::int8_t* q[kMaxTokens];
  const float* d[kMaxTokens];
  const std::int32_t* sum[kMaxTokens];
};

template <int T>
inline TokenRows token_rows(const QuantizedRows& x, int t0) {
  TokenRows r{};
  const auto blocks = static_cast<std::size_t>(x.K / kBlock);
  for (int t = 0; t < T; ++t) {
    const auto row = static_cast<std::size_t>(t0 + t);
    r.q[t] = x.q + row * static_cast<std::size_t>(x.K);
    r.d[t] = x.d + row * blocks;
    r.sum[t] = x.sum + row * blocks;
  }
  return r;
}

// Tile g's first tile-block and, for Q4T/Q6T, its first block's 8 f16 scales.
inline const std::uint8_t* tile_codes(const TiledMatrix& w, std::int64_t g, int blocks, std::size_t tile_block_bytes) {
  return w.codes + static_cast<std::size_t>(g) * static_cast<std::size_t>(blocks) * tile_block_bytes;
}
inline const std::uint16_t* tile_block_scales(const TiledMatrix& w, std::int64_t g, int blocks) {
  return static_cast<const std::uint16_t*>(w.scales) +
         static_cast<std::size_t>(g) * static_cast<std::size_t>(blocks) * static_cast<std::size_t>(kRows);
}

// The 8 f16 scales of a tile-block as f32: val[0] rows 0..3, val[1] rows 4..7.
inline float32x4x2_t load_block_scales(const std::uint16_t* p) {
  const float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(p));
  return {{vcvt_f32_f16(vget_low_f16(h)), vcvt_high_f32_f16(h)}};
}

// Int32 lane `lane` (the 4 bytes of one k-quad) of v copied to all four lanes: what SMULL
// multiplies a 4 rows x 4 k weight half by.
template <int lane>
inline int8x16_t quad_broadcast(int8x16_t v) {
  return vreinterpretq_s8_s32(vdupq_laneq_s32(vreinterpretq_s32_s8(v), lane));
}

// ---- weight codes -> int8 -----------------------------------------------------------------

// The two quads of one 16-byte half of Q4T/Q6T low-nibble bytes (byte 32c + s: quad c in
// the low nibble, quad c + 4 in the high nibble).
struct QuadPair {
  int8x16_t low;   // quad c
  int8x16_t high;  // quad c + 4
};

// Q4T: the unsigned codes u = c + 8 in [0, 15] (the zero point comes back as
// - 8 * sum(x block)): 2 instructions per 16 bytes, against 3 for signed codes.
inline QuadPair q4_unsigned(uint8x16_t bytes) {
  return {vreinterpretq_s8_u8(vandq_u8(bytes, vdupq_n_u8(0x0F))), vreinterpretq_s8_u8(vshrq_n_u8(bytes, 4))};
}

// Q6T's 2-bit high planes with the top bit of every 2-bit field flipped (u >> 4 = c' + 2,
// c' = c >> 4 in [-2, 1]; the flip makes the field c' in two's complement). Done once per
// 16-byte plane vector, shared by its 4 quads.
inline uint8x16_t q6_flip_high_plane(uint8x16_t plane) { return veorq_u8(plane, vdupq_n_u8(0xAA)); }

// Q6T as 4c in int8 ([-128, 124]: c in [-32, 31]), with no zero point to correct: the int8
// 4c has bits 7..6 = c >> 4 (two's complement, the flipped plane field) and bits 5..2 = the
// low nibble of u (= c & 15), bits 1..0 zero. Quad c (c = kQuad in 0..3) takes its high
// field from plane 0 at bits 2c..2c+1, quad c + 4 from plane 1; SRI #2 keeps the top two
// bits of the shifted plane and inserts the nibble (moved to bits 7..4 first) below them.
// 4 to 6 instructions per 16 bytes (kQuad 3 needs no plane shift). The caller multiplies
// the block scale by 1/4 (exact: a power of two).
template <int kQuad>
inline QuadPair q6_times4(uint8x16_t low_bytes, uint8x16_t plane0_flipped, uint8x16_t plane1_flipped) {
  uint8x16_t top0 = plane0_flipped, top1 = plane1_flipped;
  if constexpr (kQuad < 3) {
    top0 = vshlq_n_u8(plane0_flipped, 6 - 2 * kQuad);
    top1 = vshlq_n_u8(plane1_flipped, 6 - 2 * kQuad);
  }
  const uint8x16_t low_nibble_at_4 = vshlq_n_u8(low_bytes, 4);                 // u & 15 at bits 7..4
  const uint8x16_t high_nibble_at_4 = vandq_u8(low_bytes, vdupq_n_u8(0xF0));   // at bits 7..4
  return {vreinterpretq_s8_u8(vsriq_n_u8(top0, low_nibble_at_4, 2)),
          vreinterpretq_s8_u8(vsriq_n_u8(top1, high_nibble_at_4, 2))};
}

// ---- output and the walk over tiles ---------------------------------------------------------

// Writes acc[t][0] (rows 0..3) and acc[t][1] (rows 4..7) of tile g to y row t0 + t; the last
// tile may have fewer than 8 rows of N.
template <int T>
inline void store_tile(const float32x4_t (&acc)[static_cast<std::size_t>(T)][2], std::int64_t N, std::int64_t g,
                       int t0, float* y, std::size_t y_stride) {
  const std::int64_t n0 = g * kRows;
  const int valid = static_cast<int>(std::min<std::int64_t>(kRows, N - n0));
  for (int t = 0; t < T; ++t) {
    float* out = y + static_cast<std::size_t>(t0 + t) * y_stride + static_cast<std::size_t>(n0);
    if (valid == kRows) {
      vst1q_f32(out, acc[t][0]);
      vst1q_f32(out + 4, acc[t][1]);
    } else {
      float tmp[kRows];
      vst1q_f32(tmp, acc[t][0]);
      vst1q_f32(tmp + 4, acc[t][1]);
      std::memcpy(out, tmp, sizeof(float) * static_cast<std::size_t>(valid));
    }
  }
}

// One tile (8 rows of y) for tokens t0..t0+T-1 of x.
using TileFn = void (*)(const TiledMatrix& w, std::int64_t g, const QuantizedRows& x, int t0, float* y,
                        std::size_t y_stride);

// Tiles [tile_begin, tile_end) x every token: by_tokens[T - 1] is a kernel's instance for T
// tokens; tokens go in register blocks of G = by_tokens.size() (each kernel's G is the one
// with the fewest llvm-mca cycles per tile-block and token without register spills), then a
// tail of 1..G-1. Tile-major: a tile's weights (K/32 tile-blocks) stay in L1 while every
// token group reads them.
inline void for_each_tile(const TiledMatrix& w, const QuantizedRows& x, std::int64_t tile_begin, std::int64_t tile_end,
                          float* y, std::size_t y_stride, std::span<const TileFn> by_tokens) {
  const int group = static_cast<int>(by_tokens.size());
  for (std::int64_t g = tile_begin; g < tile_end; ++g) {
    int t0 = 0;
    for (; t0 + group <= x.rows; t0 += group) by_tokens.back()(w, g, x, t0, y, y_stride);
    if (t0 < x.rows) by_tokens[static_cast<std::size_t>(x.rows - t0 - 1)](w, g, x, t0, y, y_stride);
  }
}

}  // namespace linnet::kernels::neon
