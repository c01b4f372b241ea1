// NEON tier of the quantized matrix kernels (tiled_gemm.h) for cores without the
// dot-product extension: the Pi 4's Cortex-A72 (Armv8.0-A). Layout and shared helpers:
// tiled_neon_common.h.
//
// Multiply: SMULL/SMLAL (and their "2" forms on the upper 8 bytes) of a 16-byte weight half
// (4 rows x 4 k, slot 4r + i) by the token's 4 bytes of the same k-quad repeated in every
// 32-bit lane (DUP from the block's activation vector): 8 int16 products an instruction,
// lane = (row, i). On the A72 these issue on one pipe (F0) at one a cycle, so 32 of them
// per tile-block and token is the floor; the DUPs, unpacking (AND, USHR, SHL, SRI), SADALP
// and the block epilogue share F1 and what F0 has left. (LD1R would not take the DUPs off
// the NEON pipes: on the A72 it needs an F0/F1 slot too.)
//   Q4T: unsigned codes u in [0, 15]; an int16 lane (row, i) adds the 8 quads of a block:
//        |sum| <= 8 * 15 * 127 = 15240. ADDP adds i pairs (<= 30480), SADDLP the other pair
//        into int32 row sums; the zero point comes back as - 8 * sum(x block).
//   Q8T (c in [-127, 127]) and Q6T (read as 4c in [-128, 124]): a product is at most
//        128 * 127 = 16256 in magnitude, so two quads add in int16 (SMULL + SMLAL) before
//        SADALP widens the pair sums into int32 lanes (row, i pair); ADDP gives row sums.
// Per block: int32 -> float, times the 8 weight scales (Q6T: times 1/4 for the 4c codes,
// exact), fused add of that times x's block scale (Q8T: the row scale multiplies at the end),
// as the reference does. Register blocking: 8 rows x up to 3 tokens (gemm_*_neon below).
//
// Kernel functions (one tile of 8 rows, the loop over the K/32 tile-blocks inside; T =
// tokens, 1 = decode), for tools/arm-evidence/mca-loop.sh:
//   linnet::kernels::(anonymous namespace)::q4t_tile<T>, q8t_tile<T>, q6t_tile<T>;
//   the table's entries gemm_q4t_neon, gemm_q8t_neon, gemm_q6t_neon and
//   linnet::kernels::neon::quantize_rows_neon. Symbols (GCC), e.g. q4t_tile<1>:
//   _ZN6linnet7kernels12_GLOBAL__N_18q4t_tileILi1EEEvRKNS0_11TiledMatrixElRKNS0_13QuantizedRowsEiPfm
//   (8q8t_tile, 8q6t_tile; ILi<T>E for T tokens).
#include <arm_neon.h>

#include <cstring>
#include <type_traits>

#include "kernels/qlinear/tiled_gemm.h"
#include "kernels/qlinear/tiled_kernels.h"
#include "kernels/qlinear/tiled_neon_common.h"

namespace linnet::kernels {
namespace {

using namespace neon;

template <int N>
using Const = std::integral_constant<int, N>;

// p[0..3]: int16 lanes (rows 2j, 2j+1) x i, for j = 0..3, += half03 (rows 0..3) and half47
// (rows 4..7) times x_quad (one quad's 4 bytes repeated).
inline void mac_quad_int16(int8x16_t half03, int8x16_t half47, int8x16_t x_quad, int16x8_t (&p)[4]) {
  p[0] = vmlal_s8(p[0], vget_low_s8(half03), vget_low_s8(x_quad));
  p[1] = vmlal_high_s8(p[1], half03, x_quad);
  p[2] = vmlal_s8(p[2], vget_low_s8(half47), vget_low_s8(x_quad));
  p[3] = vmlal_high_s8(p[3], half47, x_quad);
}

// a[0..3]: int32 lanes (rows 2j, 2j+1) x (i0 + i1, i2 + i3) += the products of two quads
// (halves w0_03/w0_47 with x0, w1_03/w1_47 with x1), the two quads added in int16 first.
inline void mac_quad_pair_int32(int8x16_t w0_03, int8x16_t w0_47, int8x16_t w1_03, int8x16_t w1_47, int8x16_t x0,
                                int8x16_t x1, int32x4_t (&a)[4]) {
  const int8x8_t x0_low = vget_low_s8(x0), x1_low = vget_low_s8(x1);
  a[0] = vpadalq_s16(a[0], vmlal_s8(vmull_s8(vget_low_s8(w0_03), x0_low), vget_low_s8(w1_03), x1_low));
  a[1] = vpadalq_s16(a[1], vmlal_high_s8(vmull_high_s8(w0_03, x0), w1_03, x1));
  a[2] = vpadalq_s16(a[2], vmlal_s8(vmull_s8(vget_low_s8(w0_47), x0_low), vget_low_s8(w1_47), x1_low));
  a[3] = vpadalq_s16(a[3], vmlal_high_s8(vmull_high_s8(w0_47, x0), w1_47, x1));
}

// acc[0..1] (rows 0..3, 4..7) += (block sums * ws) * xd.
inline void add_block(int32x4_t rows03, int32x4_t rows47, const float32x4x2_t& ws, float xd, float32x4_t (&acc)[2]) {
  acc[0] = vfmaq_n_f32(acc[0], vmulq_f32(vcvtq_f32_s32(rows03), ws.val[0]), xd);
  acc[1] = vfmaq_n_f32(acc[1], vmulq_f32(vcvtq_f32_s32(rows47), ws.val[1]), xd);
}

// ---- Q4T ------------------------------------------------------------------------------------

template <int T>
[[gnu::noinline]] void q4t_tile(const TiledMatrix& w, std::int64_t g, const QuantizedRows& x, int t0, float* y,
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
    // Byte 32c + s: quad c (low nibble) and quad c + 4 (high nibble); val[2c'] rows 0..3.
    const uint8x16x4_t quads01 = vld1q_u8_x4(tb);
    const uint8x16x4_t quads23 = vld1q_u8_x4(tb + 64);
    int16x8_t p[kT][4];
    int8x16_t x_low[kT], x_high[kT];
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) {
      p[t][0] = p[t][1] = p[t][2] = p[t][3] = vdupq_n_s16(0);
      x_low[t] = vld1q_s8(a.q[t] + b * kBlock);
      x_high[t] = vld1q_s8(a.q[t] + b * kBlock + 16);
    }
    auto quad = [&](auto c, uint8x16_t bytes03, uint8x16_t bytes47) {
      constexpr int kC = decltype(c)::value;
      const QuadPair h03 = q4_unsigned(bytes03), h47 = q4_unsigned(bytes47);
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) {
        mac_quad_int16(h03.low, h47.low, quad_broadcast<kC>(x_low[t]), p[t]);
        mac_quad_int16(h03.high, h47.high, quad_broadcast<kC>(x_high[t]), p[t]);
      }
    };
    quad(Const<0>{}, quads01.val[0], quads01.val[1]);
    quad(Const<1>{}, quads01.val[2], quads01.val[3]);
    quad(Const<2>{}, quads23.val[0], quads23.val[1]);
    quad(Const<3>{}, quads23.val[2], quads23.val[3]);

    const float32x4x2_t ws = load_block_scales(scales);
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) {
      const int32x4_t zero_point = vdupq_n_s32(8 * a.sum[t][b]);
      const int32x4_t rows03 = vsubq_s32(vpaddlq_s16(vpaddq_s16(p[t][0], p[t][1])), zero_point);
      const int32x4_t rows47 = vsubq_s32(vpaddlq_s16(vpaddq_s16(p[t][2], p[t][3])), zero_point);
      add_block(rows03, rows47, ws, a.d[t][b], acc[t]);
    }
  }
  store_tile<T>(acc, w.N, g, t0, y, y_stride);
}

// ---- Q8T and Q6T: signed int8 codes -----------------------------------------------------------

// Int32 row sums of one block (rows 0..3, 4..7) from the (rows 2j, 2j+1) x i-pair lanes.
inline int32x4_t rows_of_pairs(int32x4_t a01, int32x4_t a23) { return vpaddq_s32(a01, a23); }

template <int T>
[[gnu::noinline]] void q8t_tile(const TiledMatrix& w, std::int64_t g, const QuantizedRows& x, int t0, float* y,
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
    int32x4_t s[kT][4];
    int8x16_t x_low[kT], x_high[kT];
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) {
      s[t][0] = s[t][1] = s[t][2] = s[t][3] = vdupq_n_s32(0);
      x_low[t] = vld1q_s8(a.q[t] + b * kBlock);
      x_high[t] = vld1q_s8(a.q[t] + b * kBlock + 16);
    }
    // Quads q and q + 1 (q even): bytes 32q.. rows 0..3, 32q+16.. rows 4..7.
    auto quads = [&](auto q, const int8x16_t (&xv)[kT]) {
      constexpr int kLane = decltype(q)::value % 4;
      const int8x16x4_t wq = vld1q_s8_x4(reinterpret_cast<const std::int8_t*>(tb) + 32 * q);
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t)
        mac_quad_pair_int32(wq.val[0], wq.val[1], wq.val[2], wq.val[3], quad_broadcast<kLane>(xv[t]),
                            quad_broadcast<kLane + 1>(xv[t]), s[t]);
    };
    quads(Const<0>{}, x_low);
    quads(Const<2>{}, x_low);
    quads(Const<4>{}, x_high);
    quads(Const<6>{}, x_high);
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) {
      const float xd = a.d[t][b];
      acc[t][0] = vfmaq_n_f32(acc[t][0], vcvtq_f32_s32(rows_of_pairs(s[t][0], s[t][1])), xd);
      acc[t][1] = vfmaq_n_f32(acc[t][1], vcvtq_f32_s32(rows_of_pairs(s[t][2], s[t][3])), xd);
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

template <int T>
[[gnu::noinline]] void q6t_tile(const TiledMatrix& w, std::int64_t g, const QuantizedRows& x, int t0, float* y,
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
    const uint8x16x4_t low01 = vld1q_u8_x4(tb);       // low nibbles, quads 0|4, 1|5
    const uint8x16x4_t low23 = vld1q_u8_x4(tb + 64);  // quads 2|6, 3|7
    // High planes: val[0]/val[1] quads 0..3 rows 0..3 / 4..7, val[2]/val[3] quads 4..7.
    const uint8x16x4_t planes = vld1q_u8_x4(tb + 128);
    const uint8x16_t plane0_03 = q6_flip_high_plane(planes.val[0]), plane0_47 = q6_flip_high_plane(planes.val[1]);
    const uint8x16_t plane1_03 = q6_flip_high_plane(planes.val[2]), plane1_47 = q6_flip_high_plane(planes.val[3]);
    int32x4_t s[kT][4];
    int8x16_t x_low[kT], x_high[kT];
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t) {
      s[t][0] = s[t][1] = s[t][2] = s[t][3] = vdupq_n_s32(0);
      x_low[t] = vld1q_s8(a.q[t] + b * kBlock);
      x_high[t] = vld1q_s8(a.q[t] + b * kBlock + 16);
    }
    // Quads c and c + 1 (c = 0, 2) with c + 4 and c + 5: four quads from two low-byte pairs.
    auto quads = [&](auto c, uint8x16_t lowc_03, uint8x16_t lowc_47, uint8x16_t lowc1_03, uint8x16_t lowc1_47) {
      constexpr int kC = decltype(c)::value;
      const QuadPair c_03 = q6_times4<kC>(lowc_03, plane0_03, plane1_03);
      const QuadPair c_47 = q6_times4<kC>(lowc_47, plane0_47, plane1_47);
      const QuadPair c1_03 = q6_times4<kC + 1>(lowc1_03, plane0_03, plane1_03);
      const QuadPair c1_47 = q6_times4<kC + 1>(lowc1_47, plane0_47, plane1_47);
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) {
        mac_quad_pair_int32(c_03.low, c_47.low, c1_03.low, c1_47.low, quad_broadcast<kC>(x_low[t]),
                            quad_broadcast<kC + 1>(x_low[t]), s[t]);
        mac_quad_pair_int32(c_03.high, c_47.high, c1_03.high, c1_47.high, quad_broadcast<kC>(x_high[t]),
                            quad_broadcast<kC + 1>(x_high[t]), s[t]);
      }
    };
    quads(Const<0>{}, low01.val[0], low01.val[1], low01.val[2], low01.val[3]);
    quads(Const<2>{}, low23.val[0], low23.val[1], low23.val[2], low23.val[3]);

    float32x4x2_t ws = load_block_scales(scales);
    ws.val[0] = vmulq_n_f32(ws.val[0], 0.25f);  // the codes are 4c
    ws.val[1] = vmulq_n_f32(ws.val[1], 0.25f);
#pragma GCC unroll 4
    for (int t = 0; t < T; ++t)
      add_block(rows_of_pairs(s[t][0], s[t][1]), rows_of_pairs(s[t][2], s[t][3]), ws, a.d[t][b], acc[t]);
  }
  store_tile<T>(acc, w.N, g, t0, y, y_stride);
}

// Register blocks (tokens per tile pass) from llvm-mca -mcpu=cortex-a72 on GCC 14's code,
// cycles per tile-block and token for T = 1..4: Q4T 46, 41, 40, 52; Q8T 39, 37 (52 at -O3,
// the release flags), 58, 62; Q6T 68, 67, 57, 74. Beyond those GCC spills accumulators.
void gemm_q4t_neon(const TiledMatrix& w, const QuantizedRows& x, std::int64_t tile_begin, std::int64_t tile_end,
                   float* y, std::size_t y_stride) {
  static constexpr TileFn kByTokens[] = {q4t_tile<1>, q4t_tile<2>, q4t_tile<3>};
  for_each_tile(w, x, tile_begin, tile_end, y, y_stride, kByTokens);
}
void gemm_q8t_neon(const TiledMatrix& w, const QuantizedRows& x, std::int64_t tile_begin, std::int64_t tile_end,
                   float* y, std::size_t y_stride) {
  static constexpr TileFn kByTokens[] = {q8t_tile<1>};
  for_each_tile(w, x, tile_begin, tile_end, y, y_stride, kByTokens);
}
void gemm_q6t_neon(const TiledMatrix& w, const QuantizedRows& x, std::int64_t tile_begin, std::int64_t tile_end,
                   float* y, std::size_t y_stride) {
  static constexpr TileFn kByTokens[] = {q6t_tile<1>, q6t_tile<2>, q6t_tile<3>};
  for_each_tile(w, x, tile_begin, tile_end, y, y_stride, kByTokens);
}

}  // namespace

// Same arithmetic as quantize_rows_ref, bit for bit: m = max|x| over the block (FMAXNM, like
// std::max, skips NaN), inv = 127 / m (0 for m = 0), q = round_even(x * inv) (FCVTNS), a code
// that would round beyond [-127, 127] (|x * inv| >= 127.5: inf, NaN from a tiny m or
// non-finite inputs) is 0, d = m / 127, sum = sum of q.
void neon::quantize_rows_neon(const float* x, std::size_t x_stride, int row_begin, int row_end,
                              const QuantizedRows& out) {
  const int blocks = out.K / kBlock;
  // round_even(v) is in [-127, 127] exactly when |v| < 127.5 (127.5 itself rounds to 128).
  const float32x4_t limit = vdupq_n_f32(127.5f);
  for (int t = row_begin; t < row_end; ++t) {
    const float* row = x + static_cast<std::size_t>(t) * x_stride;
    std::int8_t* q = out.q + static_cast<std::size_t>(t) * static_cast<std::size_t>(out.K);
    float* d = out.d + static_cast<std::size_t>(t) * static_cast<std::size_t>(blocks);
    std::int32_t* sums = out.sum + static_cast<std::size_t>(t) * static_cast<std::size_t>(blocks);
    for (int b = 0; b < blocks; ++b) {
      const float* p = row + b * kBlock;
      float32x4_t v[8];
#pragma GCC unroll 8
      for (int i = 0; i < 8; ++i) v[i] = vld1q_f32(p + 4 * i);
      float32x4_t m4 = vabsq_f32(v[0]);
#pragma GCC unroll 8
      for (int i = 1; i < 8; ++i) m4 = vmaxnmq_f32(m4, vabsq_f32(v[i]));
      const float m = vmaxnmvq_f32(m4);
      const float inv = m > 0 ? 127.0f / m : 0.0f;
      d[b] = m / 127.0f;
      int16x8_t codes16[4];
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) {
        int32x4_t c[2];
        for (int j = 0; j < 2; ++j) {
          const float32x4_t scaled = vmulq_n_f32(v[2 * i + j], inv);
          // |scaled| < 127.5 is false for NaN and beyond the range: those codes are 0.
          c[j] = vandq_s32(vcvtnq_s32_f32(scaled), vreinterpretq_s32_u32(vcaltq_f32(scaled, limit)));
        }
        codes16[i] = vcombine_s16(vmovn_s32(c[0]), vmovn_s32(c[1]));
      }
      const int8x16_t q0 = vcombine_s8(vmovn_s16(codes16[0]), vmovn_s16(codes16[1]));
      const int8x16_t q1 = vcombine_s8(vmovn_s16(codes16[2]), vmovn_s16(codes16[3]));
      vst1q_s8(q + b * kBlock, q0);
      vst1q_s8(q + b * kBlock + 16, q1);
      sums[b] = static_cast<std::int32_t>(vaddlvq_s8(q0)) + static_cast<std::int32_t>(vaddlvq_s8(q1));
    }
  }
}

const TiledKernels* tiled_kernels_neon() {
  static constexpr TiledKernels kTable{.name = "neon",
                                       .quantize_rows = neon::quantize_rows_neon,
                                       .gemm_q8t = gemm_q8t_neon,
                                       .gemm_q4t = gemm_q4t_neon,
                                       .gemm_q6t = gemm_q6t_neon};
  return &kTable;
}

}  // namespace linnet::kernels
