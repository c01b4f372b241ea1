// NEON tier with the dot-product extension (SDOT) of the quantized matrix kernels
// (tiled_gemm.h): the Pi 5's Cortex-A76 and the Orin's A78AE. The kernels are compiled for
// +dotprod (pragma below) so that the Pi 4's build (-mcpu=cortex-a72) still has them; they
// run only when the CPU reports dotprod (tiled_kernels.cpp). Layout and shared helpers:
// tiled_neon_common.h.
//
// Multiply: a 16-byte weight half is 4 rows x 4 k (slot 4r + i), so
// SDOT(acc, half, x, lane c) adds to each row's int32 lane the dot product of its 4 codes
// with the token's k-quad c (the 4 bytes of int32 lane c of x_low / x_high): 16 SDOTs per
// tile-block and token, no reduction afterwards.
//   Q8T: the codes as stored (int8).
//   Q4T: unsigned u = c + 8 (AND 0x0F / USHR 4: 2 instructions per 16 bytes); the int32
//        accumulators start at - 8 * sum(x block), the zero point's share.
//   Q6T: unsigned u = c + 32 in [0, 63] (q6_field, q6_unsigned below: 5 instructions per
//        16-byte plane vector for its 4 quads' fields, then 1 per 16 bytes of codes); the
//        accumulators start at - 32 * sum(x block).
// Per block: int32 -> float, times the 8 weight scales, fused add of that times x's block
// scale (Q8T: the row scale multiplies at the end), as the reference does.
// Register blocking: 8 rows x 2 to 4 tokens share each unpacked weight vector (gemm_* below).
//
// Kernel functions (one tile of 8 rows, the loop over the K/32 tile-blocks inside; T =
// tokens, 1 = decode), for tools/arm-evidence/mca-loop.sh:
//   linnet::kernels::(anonymous namespace)::q4t_dot_tile<T>, q8t_dot_tile<T>,
//   q6t_dot_tile<T>; the table's entries gemm_q4t_neon_dotprod, gemm_q8t_neon_dotprod,
//   gemm_q6t_neon_dotprod (the quantizer is the plain NEON one). Symbols (GCC), e.g.
//   q4t_dot_tile<1>:
//   _ZN6linnet7kernels12_GLOBAL__N_112q4t_dot_tileILi1EEEvRKNS0_11TiledMatrixElRKNS0_13QuantizedRowsEiPfm
//   (12q8t_dot_tile, 12q6t_dot_tile; ILi<T>E for T tokens).
#include <arm_neon.h>

#include <type_traits>

#include "kernels/qlinear/tiled_gemm.h"
#include "kernels/qlinear/tiled_kernels.h"
#include "kernels/qlinear/tiled_neon_common.h"

namespace linnet::kernels {
namespace {

using namespace neon;

template <int N>
using Const = std::integral_constant<int, N>;

#pragma GCC push_options
#pragma GCC target("+dotprod")

// s[0] (rows 0..3) and s[1] (rows 4..7) += the halves times k-quad `lane` of x.
template <int lane>
inline void dot_quad(int8x16_t half03, int8x16_t half47, int8x16_t x, int32x4_t (&s)[2]) {
  s[0] = vdotq_laneq_s32(s[0], half03, x, lane);
  s[1] = vdotq_laneq_s32(s[1], half47, x, lane);
}

// acc[0..1] (rows 0..3, 4..7) += (block sums * ws) * xd.
inline void add_block(const int32x4_t (&s)[2], const float32x4x2_t& ws, float xd, float32x4_t (&acc)[2]) {
  acc[0] = vfmaq_n_f32(acc[0], vmulq_f32(vcvtq_f32_s32(s[0]), ws.val[0]), xd);
  acc[1] = vfmaq_n_f32(acc[1], vmulq_f32(vcvtq_f32_s32(s[1]), ws.val[1]), xd);
}

template <int T>
[[gnu::noinline]] void q4t_dot_tile(const TiledMatrix& w, std::int64_t g, const QuantizedRows& x, int t0, float* y,
                                    std::size_t y_stride) {
  constexpr auto kT = static_cast<std::size_t>(T);  // tokens, as an array bound
  constexpr std::size_t kTileBlockBytes = 128;
  const int blocks = x.K / kBlock;
  const std::uint8_t* tb = tile_codes(w, g, blocks, kTileBlockBytes);
  const std::uint16_t* scales = tile_block_scales(w, g, blocks);
  const TokenRows a = token_rows<T>(x, t0);
  float32x4_t acc[kT][2];
#pragma GCC unroll 4
  for (int t = 0; t < T; ++t) acc[t][0] = acc[t][1] = vdupq_n_f32(0.0f);

  for (int b = 0; b < blocks; ++b, tb += kTileBlockBytes, scales += kRows) {
    int8x16_t x_low[kT], x_high[kT];
    int32x4_t s[kT][2];
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) {
      x_low[t] = vld1q_s8(a.q[t] + b * kBlock);
      x_high[t] = vld1q_s8(a.q[t] + b * kBlock + 16);
      s[t][0] = s[t][1] = vdupq_n_s32(-8 * a.sum[t][b]);  // u = c + 8: sum(u x) - 8 sum(x)
    }
    // Byte 32c + s: quad c (low nibble) and quad c + 4 (high nibble), rows 0..3 then 4..7.
    // T < 4: the 128 bytes loaded up front (two LD1 x 4); T = 4: each quad's 32 bytes where
    // used (fewer vectors live: with the loads up front GCC spills accumulators).
    [[maybe_unused]] uint8x16x4_t quads01, quads23;
    if constexpr (T < 4) {
      quads01 = vld1q_u8_x4(tb);
      quads23 = vld1q_u8_x4(tb + 64);
    }
    auto quad = [&](auto c) {
      constexpr int kC = decltype(c)::value;
      uint8x16_t bytes03, bytes47;
      if constexpr (T < 4) {
        const uint8x16x4_t& q = kC < 2 ? quads01 : quads23;
        bytes03 = q.val[2 * (kC % 2)];
        bytes47 = q.val[2 * (kC % 2) + 1];
      } else {
        bytes03 = vld1q_u8(tb + 32 * kC);
        bytes47 = vld1q_u8(tb + 32 * kC + 16);
      }
      const QuadPair h03 = q4_unsigned(bytes03), h47 = q4_unsigned(bytes47);
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) {
        dot_quad<kC>(h03.low, h47.low, x_low[t], s[t]);
        dot_quad<kC>(h03.high, h47.high, x_high[t], s[t]);
      }
    };
    quad(Const<0>{});
    quad(Const<1>{});
    quad(Const<2>{});
    quad(Const<3>{});

    const float32x4x2_t ws = load_block_scales(scales);
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) add_block(s[t], ws, a.d[t][b], acc[t]);
  }
  store_tile<T>(acc, w.N, g, t0, y, y_stride);
}

template <int T>
[[gnu::noinline]] void q8t_dot_tile(const TiledMatrix& w, std::int64_t g, const QuantizedRows& x, int t0, float* y,
                                    std::size_t y_stride) {
  constexpr auto kT = static_cast<std::size_t>(T);  // tokens, as an array bound
  constexpr std::size_t kTileBlockBytes = 256;
  const int blocks = x.K / kBlock;
  const std::uint8_t* tb = tile_codes(w, g, blocks, kTileBlockBytes);
  const TokenRows a = token_rows<T>(x, t0);
  float32x4_t acc[kT][2];
#pragma GCC unroll 4
  for (int t = 0; t < T; ++t) acc[t][0] = acc[t][1] = vdupq_n_f32(0.0f);

  for (int b = 0; b < blocks; ++b, tb += kTileBlockBytes) {
    const auto* codes = reinterpret_cast<const std::int8_t*>(tb);
    int8x16_t x_low[kT], x_high[kT];
    int32x4_t s[kT][2];
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) {
      x_low[t] = vld1q_s8(a.q[t] + b * kBlock);
      x_high[t] = vld1q_s8(a.q[t] + b * kBlock + 16);
      s[t][0] = s[t][1] = vdupq_n_s32(0);
    }
    // Quads c and c + 1 (one 64-byte load: val[0], val[1] quad c rows 0..3 / 4..7).
    auto quads = [&](auto c, const std::int8_t* bytes, const int8x16_t (&xv)[kT]) {
      constexpr int kC = decltype(c)::value;
      const int8x16x4_t wq = vld1q_s8_x4(bytes);
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) {
        dot_quad<kC>(wq.val[0], wq.val[1], xv[t], s[t]);
        dot_quad<kC + 1>(wq.val[2], wq.val[3], xv[t], s[t]);
      }
    };
    quads(Const<0>{}, codes, x_low);
    quads(Const<2>{}, codes + 64, x_low);
    quads(Const<0>{}, codes + 128, x_high);
    quads(Const<2>{}, codes + 192, x_high);
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) {
      const float xd = a.d[t][b];
      acc[t][0] = vfmaq_n_f32(acc[t][0], vcvtq_f32_s32(s[t][0]), xd);
      acc[t][1] = vfmaq_n_f32(acc[t][1], vcvtq_f32_s32(s[t][1]), xd);
    }
  }
  const float* row_scales = static_cast<const float*>(w.scales) + g * kRows;
  const float32x4_t ws03 = vld1q_f32(row_scales), ws47 = vld1q_f32(row_scales + 4);
#pragma GCC unroll 4
  for (int t = 0; t < T; ++t) {
    acc[t][0] = vmulq_f32(acc[t][0], ws03);
    acc[t][1] = vmulq_f32(acc[t][1], ws47);
  }
  store_tile<T>(acc, w.N, g, t0, y, y_stride);
}

// Q6T's 2-bit field u >> 4 of quad c (kQuad, 0..3) of a 16-byte plane vector (4 quads of 4
// rows x 4 k; quad c at bits 2c..2c+1), at bits 5..4 of each byte with bits 7..6 clear
// (bits 3..0: anything). plane_33 = plane & 0x33 (fields 0 and 2 apart, shared by quads 0
// and 2): 5 instructions for the four quads.
template <int kQuad>
inline uint8x16_t q6_field(uint8x16_t plane, uint8x16_t plane_33) {
  if constexpr (kQuad == 0) return vshlq_n_u8(plane_33, 4);
  if constexpr (kQuad == 1) return vshlq_n_u8(vandq_u8(plane, vdupq_n_u8(0x0C)), 2);
  if constexpr (kQuad == 2) return plane_33;
  if constexpr (kQuad == 3) return vshrq_n_u8(plane, 2);
}

// Q6T as the unsigned u = c + 32 in [0, 63] (valid int8; the accumulators start at
// - 32 * sum(x block)), one instruction per 16 bytes: the quad in the low nibble of `low`
// takes bits 7..4 from its field vector and bits 3..0 from `low` (BSL / BIT with 0x0F), the
// quad in the high nibble is its field vector with `low >> 4` shifted in (SRI #4).
inline QuadPair q6_unsigned(uint8x16_t low, uint8x16_t field_low_quad, uint8x16_t field_high_quad) {
  return {vreinterpretq_s8_u8(vbslq_u8(vdupq_n_u8(0x0F), low, field_low_quad)),
          vreinterpretq_s8_u8(vsriq_n_u8(field_high_quad, low, 4))};
}

template <int T>
[[gnu::noinline]] void q6t_dot_tile(const TiledMatrix& w, std::int64_t g, const QuantizedRows& x, int t0, float* y,
                                    std::size_t y_stride) {
  constexpr auto kT = static_cast<std::size_t>(T);  // tokens, as an array bound
  constexpr std::size_t kTileBlockBytes = 192;
  const int blocks = x.K / kBlock;
  const std::uint8_t* tb = tile_codes(w, g, blocks, kTileBlockBytes);
  const std::uint16_t* scales = tile_block_scales(w, g, blocks);
  const TokenRows a = token_rows<T>(x, t0);
  float32x4_t acc[kT][2];
#pragma GCC unroll 4
  for (int t = 0; t < T; ++t) acc[t][0] = acc[t][1] = vdupq_n_f32(0.0f);

  for (int b = 0; b < blocks; ++b, tb += kTileBlockBytes, scales += kRows) {
    // High planes (bytes 128..191): p0 quads 0..3, p1 quads 4..7; _03 rows 0..3, _47 rows 4..7.
    const uint8x16_t p0_03 = vld1q_u8(tb + 128), p0_47 = vld1q_u8(tb + 144);
    const uint8x16_t p1_03 = vld1q_u8(tb + 160), p1_47 = vld1q_u8(tb + 176);
    const uint8x16_t mask33 = vdupq_n_u8(0x33);
    const uint8x16_t p0_03_33 = vandq_u8(p0_03, mask33), p0_47_33 = vandq_u8(p0_47, mask33);
    const uint8x16_t p1_03_33 = vandq_u8(p1_03, mask33), p1_47_33 = vandq_u8(p1_47, mask33);
    int8x16_t x_low[kT], x_high[kT];
    int32x4_t s[kT][2];
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) {
      x_low[t] = vld1q_s8(a.q[t] + b * kBlock);
      x_high[t] = vld1q_s8(a.q[t] + b * kBlock + 16);
      s[t][0] = s[t][1] = vdupq_n_s32(-32 * a.sum[t][b]);  // u = c + 32: sum(u x) - 32 sum(x)
    }
    // Low nibbles, byte 32c + s: quad c (low nibble) and quad c + 4 (high nibble).
    auto quad = [&](auto c) {
      constexpr int kC = decltype(c)::value;
      const uint8x16_t low03 = vld1q_u8(tb + 32 * kC), low47 = vld1q_u8(tb + 32 * kC + 16);
      const QuadPair h03 = q6_unsigned(low03, q6_field<kC>(p0_03, p0_03_33), q6_field<kC>(p1_03, p1_03_33));
      const QuadPair h47 = q6_unsigned(low47, q6_field<kC>(p0_47, p0_47_33), q6_field<kC>(p1_47, p1_47_33));
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) {
        dot_quad<kC>(h03.low, h47.low, x_low[t], s[t]);
        dot_quad<kC>(h03.high, h47.high, x_high[t], s[t]);
      }
    };
    quad(Const<0>{});
    quad(Const<1>{});
    quad(Const<2>{});
    quad(Const<3>{});

    const float32x4x2_t ws = load_block_scales(scales);
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) add_block(s[t], ws, a.d[t][b], acc[t]);
  }
  store_tile<T>(acc, w.N, g, t0, y, y_stride);
}

// Register blocks (tokens per tile pass) from llvm-mca -mcpu=cortex-a76 on GCC 14's code
// (-O2; -O3 the same but Q8T T = 2: 15), cycles per tile-block and token for T = 1..4:
// Q4T 29, 23, 21, 26; Q8T 21, 17, 16, 15; Q6T 47, 30, 32, 29 (Q4T and Q6T spill
// accumulators at T = 4). Since then (-O3, instructions per tile-block in brackets):
// Q4T with T = 4 loading each quad's bytes where used no longer spills (no reloads; GCC
// still stores the 8 accumulators each iteration, 4 STP): 19.6 (149, 37 a token) against
// 20.8 (118, 39 a token) at T = 3; Q6T with unsigned codes: 43.4 (81), 30.7
// (111 / 2) for T = 1, 2 (neoverse-n1: 34.2, 23.6).
void gemm_q4t_neon_dotprod(const TiledMatrix& w, const QuantizedRows& x, std::int64_t tile_begin,
                           std::int64_t tile_end, float* y, std::size_t y_stride) {
  static constexpr TileFn kByTokens[] = {q4t_dot_tile<1>, q4t_dot_tile<2>, q4t_dot_tile<3>, q4t_dot_tile<4>};
  for_each_tile(w, x, tile_begin, tile_end, y, y_stride, kByTokens);
}
void gemm_q8t_neon_dotprod(const TiledMatrix& w, const QuantizedRows& x, std::int64_t tile_begin,
                           std::int64_t tile_end, float* y, std::size_t y_stride) {
  static constexpr TileFn kByTokens[] = {q8t_dot_tile<1>, q8t_dot_tile<2>, q8t_dot_tile<3>, q8t_dot_tile<4>};
  for_each_tile(w, x, tile_begin, tile_end, y, y_stride, kByTokens);
}
void gemm_q6t_neon_dotprod(const TiledMatrix& w, const QuantizedRows& x, std::int64_t tile_begin,
                           std::int64_t tile_end, float* y, std::size_t y_stride) {
  static constexpr TileFn kByTokens[] = {q6t_dot_tile<1>, q6t_dot_tile<2>};
  for_each_tile(w, x, tile_begin, tile_end, y, y_stride, kByTokens);
}

#pragma GCC pop_options

}  // namespace

const TiledKernels* tiled_kernels_neon_dotprod() {
  static constexpr TiledKernels kTable{.name = "neon+dotprod",
                                       .quantize_rows = neon::quantize_rows_neon,
                                       .gemm_q8t = gemm_q8t_neon_dotprod,
                                       .gemm_q4t = gemm_q4t_neon_dotprod,
                                       .gemm_q6t = gemm_q6t_neon_dotprod};
  return &kTable;
}

}  // namespace linnet::kernels
