// The x86 tiers of the quantized matrix kernels, written once: tiled_gemm_avx2.cpp and
// tiled_gemm_avxvnni.cpp include this with LINNET_TILED_X86_VNNI 0 or 1 and their own
// compile flags. Only those two files may include it.
//
// Inner step: one 32-byte load of k-quad q of a tile-block holds 4 consecutive k of 8 rows;
// the token's 4 activation bytes of that quad are broadcast to all 8 lanes and
// vpmaddubsw(unsigned weight codes, signed activations) gives 16 int16 = 8 rows x 2 pair
// sums. Q4T codes are u = c + 8 (0..15): a pair sum is at most 2 * 15 * 127 = 3810, so the
// 8 quads of a block add up in int16 (<= 30480) before one vpmaddwd widens them to int32;
// the zero point comes back as - 8 * sum(x block). Q6T (u = c + 32, 0..63): pair sums <=
// 16002, two quads per int16 add. Q8T codes are signed: vpmaddubsw(|x|, sign(c, x)), pair
// sums <= 32258, widened every quad. Per block: int32 -> float, times the weight scales (8
// rows) and the activation's block scale, into 8 float accumulators per token.
// Register blocking: 8 rows x up to 4 tokens (kTokens) share each unpacked weight vector.
// With AVX-VNNI (LINNET_TILED_X86_VNNI 1: Alder Lake and later, Sapphire Rapids, Zen 5)
// vpdpbusd does vpmaddubsw + vpmaddwd + vpaddd in one instruction and without int16
// saturation: every quad goes straight into the int32 accumulators.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/qlinear/tiled_gemm.h"

#ifndef LINNET_TILED_X86_VNNI
#error "define LINNET_TILED_X86_VNNI (0 or 1) before including this file"
#endif

namespace linnet::kernels {
namespace LINNET_TILED_X86_NAMESPACE {

constexpr int kBlock = 32;
constexpr int kRows = 8;
constexpr std::size_t kTokens = 4;

inline __m256i broadcast4(const std::int8_t* p) {
  std::int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// Activation pointers of the tokens of one register block.
struct TokenRows {
  const std::int8_t* q[kTokens];
  const float* d[kTokens];
  const std::int32_t* sum[kTokens];
};

template <std::size_t T>
TokenRows token_rows(const QuantizedRows& x, int t0) {
  TokenRows r{};
  const std::size_t blocks = static_cast<std::size_t>(x.K / kBlock);
  for (std::size_t t = 0; t < T; ++t) {
    const std::size_t row = static_cast<std::size_t>(t0) + t;
    r.q[t] = x.q + row * static_cast<std::size_t>(x.K);
    r.d[t] = x.d + row * blocks;
    r.sum[t] = x.sum + row * blocks;
  }
  return r;
}

// Q4T and Q6T: unsigned codes with a zero point; per-block f16 scales.
template <std::size_t T, bool kSix>
void tile_q4q6(const std::uint8_t* codes, const std::uint16_t* scales, int blocks, const TokenRows& a, __m256 acc[T]) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i bits45 = _mm256_set1_epi8(0x30);
  [[maybe_unused]] const __m256i ones = _mm256_set1_epi16(1);
  constexpr int kTileBytes = kSix ? 192 : 128;
  constexpr int kZeroPoint = kSix ? 32 : 8;
  for (std::size_t t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int b = 0; b < blocks; ++b) {
    const std::uint8_t* tb = codes + static_cast<std::size_t>(b) * kTileBytes;
    __m256i i32[T];
    for (std::size_t t = 0; t < T; ++t) i32[t] = _mm256_setzero_si256();
    __m256i i16[T];
    for (std::size_t t = 0; t < T; ++t) i16[t] = _mm256_setzero_si256();
    __m256i high0 = _mm256_setzero_si256(), high1 = _mm256_setzero_si256();
    if constexpr (kSix) {
      high0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 128));
      high1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 160));
    }
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 32 * c));
      __m256i lo = _mm256_and_si256(v, low4);                          // quad c
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);    // quad c + 4
      if constexpr (kSix) {
        // bits 2c..2c+1 of the high planes to bits 4..5 (16-bit shifts; the mask drops
        // what crosses a byte).
        __m256i h0, h1;
        if (c == 0) { h0 = _mm256_slli_epi16(high0, 4); h1 = _mm256_slli_epi16(high1, 4); }
        else if (c == 1) { h0 = _mm256_slli_epi16(high0, 2); h1 = _mm256_slli_epi16(high1, 2); }
        else if (c == 2) { h0 = high0; h1 = high1; }
        else { h0 = _mm256_srli_epi16(high0, 2); h1 = _mm256_srli_epi16(high1, 2); }
        lo = _mm256_or_si256(lo, _mm256_and_si256(h0, bits45));
        hi = _mm256_or_si256(hi, _mm256_and_si256(h1, bits45));
      }
      for (std::size_t t = 0; t < T; ++t) {
        const std::int8_t* q = a.q[t] + b * kBlock;
#if LINNET_TILED_X86_VNNI
        i32[t] = _mm256_dpbusd_avx_epi32(i32[t], lo, broadcast4(q + 4 * c));
        i32[t] = _mm256_dpbusd_avx_epi32(i32[t], hi, broadcast4(q + 16 + 4 * c));
#else
        const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo, broadcast4(q + 4 * c)),
                                           _mm256_maddubs_epi16(hi, broadcast4(q + 16 + 4 * c)));
        if constexpr (kSix) {
          i32[t] = _mm256_add_epi32(i32[t], _mm256_madd_epi16(p, ones));
        } else {
          i16[t] = _mm256_add_epi16(i16[t], p);
        }
#endif
      }
    }
    const __m256 ws = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + b * kRows)));
    for (std::size_t t = 0; t < T; ++t) {
      __m256i s = (kSix || LINNET_TILED_X86_VNNI) ? i32[t] : _mm256_madd_epi16(i16[t], ones);
      s = _mm256_sub_epi32(s, _mm256_set1_epi32(a.sum[t][b] * kZeroPoint));
      acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s), ws), _mm256_set1_ps(a.d[t][b]), acc[t]);
    }
  }
}

// Q8T: signed codes, one f32 scale per row (applied at the end).
template <std::size_t T>
void tile_q8(const std::uint8_t* codes, const float* row_scales, int blocks, const TokenRows& a, __m256 acc[T]) {
  [[maybe_unused]] const __m256i ones = _mm256_set1_epi16(1);
  for (std::size_t t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int b = 0; b < blocks; ++b) {
    const std::uint8_t* tb = codes + static_cast<std::size_t>(b) * 256;
    __m256i i32[T];
    for (std::size_t t = 0; t < T; ++t) i32[t] = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) {
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 32 * q));
      for (std::size_t t = 0; t < T; ++t) {
        const __m256i x = broadcast4(a.q[t] + b * kBlock + 4 * q);
#if LINNET_TILED_X86_VNNI
        i32[t] = _mm256_dpbusd_avx_epi32(i32[t], _mm256_abs_epi8(x), _mm256_sign_epi8(w, x));
#else
        const __m256i p = _mm256_maddubs_epi16(_mm256_abs_epi8(x), _mm256_sign_epi8(w, x));
        i32[t] = _mm256_add_epi32(i32[t], _mm256_madd_epi16(p, ones));
#endif
      }
    }
    for (std::size_t t = 0; t < T; ++t)
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i32[t]), _mm256_set1_ps(a.d[t][b]), acc[t]);
  }
  const __m256 ws = _mm256_loadu_ps(row_scales);
  for (std::size_t t = 0; t < T; ++t) acc[t] = _mm256_mul_ps(acc[t], ws);
}

template <std::size_t T>
void tile_any(const TiledMatrix& w, std::int64_t g, int blocks, const TokenRows& a, __m256 acc[T]) {
  const std::size_t tile = static_cast<std::size_t>(g) * static_cast<std::size_t>(blocks);
  switch (w.dtype) {
    case DType::kQ8T:
      tile_q8<T>(w.codes + tile * 256, static_cast<const float*>(w.scales) + g * kRows, blocks, a, acc);
      break;
    case DType::kQ4T:
      tile_q4q6<T, false>(w.codes + tile * 128, static_cast<const std::uint16_t*>(w.scales) + tile * kRows, blocks,
                          a, acc);
      break;
    default:
      tile_q4q6<T, true>(w.codes + tile * 192, static_cast<const std::uint16_t*>(w.scales) + tile * kRows, blocks,
                         a, acc);
      break;
  }
}

template <std::size_t T>
void run_tokens(const TiledMatrix& w, const QuantizedRows& x, std::int64_t g, int t0, float* y, std::size_t y_stride) {
  __m256 acc[T];
  tile_any<T>(w, g, x.K / kBlock, token_rows<T>(x, t0), acc);
  const std::int64_t n0 = g * kRows;
  const int valid = static_cast<int>(std::min<std::int64_t>(kRows, w.N - n0));
  for (std::size_t t = 0; t < T; ++t) {
    float* out = y + (static_cast<std::size_t>(t0) + t) * y_stride + static_cast<std::size_t>(n0);
    if (valid == kRows) {
      _mm256_storeu_ps(out, acc[t]);
    } else {
      alignas(32) float tmp[kRows];
      _mm256_store_ps(tmp, acc[t]);
      std::memcpy(out, tmp, sizeof(float) * static_cast<std::size_t>(valid));
    }
  }
}

void gemm_avx2(const TiledMatrix& w, const QuantizedRows& x, std::int64_t tile_begin, std::int64_t tile_end, float* y,
               std::size_t y_stride) {
  for (std::int64_t g = tile_begin; g < tile_end; ++g) {
    int t0 = 0;
    for (; t0 + static_cast<int>(kTokens) <= x.rows; t0 += static_cast<int>(kTokens)) run_tokens<kTokens>(w, x, g, t0, y, y_stride);
    switch (x.rows - t0) {
      case 3: run_tokens<3>(w, x, g, t0, y, y_stride); break;
      case 2: run_tokens<2>(w, x, g, t0, y, y_stride); break;
      case 1: run_tokens<1>(w, x, g, t0, y, y_stride); break;
      default: break;
    }
  }
}

// Same arithmetic as quantize_rows_ref: max|x| per block, q = round_even(x * (127 / max)).
void quantize_rows_avx2(const float* x, std::size_t x_stride, int row_begin, int row_end, const QuantizedRows& out) {
  const int blocks = out.K / kBlock;
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const __m256i ones8 = _mm256_set1_epi8(1);
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (int t = row_begin; t < row_end; ++t) {
    const float* row = x + static_cast<std::size_t>(t) * x_stride;
    std::int8_t* q = out.q + static_cast<std::size_t>(t) * static_cast<std::size_t>(out.K);
    float* d = out.d + static_cast<std::size_t>(t) * static_cast<std::size_t>(blocks);
    std::int32_t* sums = out.sum + static_cast<std::size_t>(t) * static_cast<std::size_t>(blocks);
    for (int b = 0; b < blocks; ++b) {
      const float* p = row + b * kBlock;
      __m256 v[4];
      for (int i = 0; i < 4; ++i) v[i] = _mm256_loadu_ps(p + 8 * i);
      __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v[0]), _mm256_andnot_ps(sign, v[1])),
                               _mm256_max_ps(_mm256_andnot_ps(sign, v[2]), _mm256_andnot_ps(sign, v[3])));
      __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
      m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
      m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
      const float mx = _mm_cvtss_f32(m4);
      const float inv = mx > 0 ? 127.0f / mx : 0.0f;
      d[b] = mx / 127.0f;
      const __m256 s = _mm256_set1_ps(inv);
      __m256i i[4];
      for (int k = 0; k < 4; ++k) i[k] = _mm256_cvtps_epi32(_mm256_mul_ps(v[k], s));
      // int32 -> int8 with saturation; packs work per 128-bit lane, the permute restores order.
      const __m256i w01 = _mm256_packs_epi32(i[0], i[1]);
      const __m256i w23 = _mm256_packs_epi32(i[2], i[3]);
      __m256i b8 = _mm256_packs_epi16(w01, w23);
      b8 = _mm256_permutevar8x32_epi32(b8, order);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + b * kBlock), b8);
      // Block sum of the codes: maddubs(1, q) pairs, madd to int32, horizontal add.
      const __m256i s32 = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, b8), ones16);
      __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s32), _mm256_extracti128_si256(s32, 1));
      h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4E));
      h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xB1));
      sums[b] = _mm_cvtsi128_si32(h);
    }
  }
}

}  // namespace LINNET_TILED_X86_NAMESPACE
}  // namespace linnet::kernels
