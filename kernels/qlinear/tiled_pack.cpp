#include "kernels/qlinear/tiled_pack.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/bundle/tensor_layout.h"
#include "kernels/reference/half_ref.h"

namespace linnet::kernels {
namespace {

constexpr std::int64_t kRows = kTileRows;
constexpr std::int64_t kBlock = kTileBlockK;

// The smallest f16 >= v (v >= 0, finite, below 65504): rounding up keeps |w / s| within
// the code range.
std::uint16_t f16_round_up(float v) {
  const _Float16 h = static_cast<_Float16>(v);
  std::uint16_t bits;
  std::memcpy(&bits, &h, sizeof bits);
  if (f16_to_f32(bits) < v) ++bits;  // positive halves are ordered like their bits
  return bits;
}

// Byte offset of the tile-block (tile g, block b) in the data segment.
std::size_t tile_block_offset(DType dtype, std::int64_t K, std::int64_t g, std::int64_t b) {
  return static_cast<std::size_t>(g * (K / kBlock) + b) * tile_block_bytes(dtype);
}

// Where element (r, j) of a tile-block lives: quad q = j / 4, slot s = 4r + j % 4.
struct Slot {
  int q;
  int s;
};
Slot slot_of(std::int64_t r, std::int64_t j) { return {static_cast<int>(j / 4), static_cast<int>(4 * r + j % 4)}; }

// Stores the unsigned code u of (r, j) into a tile-block at `tb`.
void put_code(DType dtype, std::uint8_t* tb, std::int64_t r, std::int64_t j, int u) {
  const Slot p = slot_of(r, j);
  if (dtype == DType::kQ8T) {
    tb[32 * p.q + p.s] = static_cast<std::uint8_t>(static_cast<std::int8_t>(u));
    return;
  }
  std::uint8_t& lo = tb[32 * (p.q % 4) + p.s];
  const int nibble = u & 0xF;
  lo = static_cast<std::uint8_t>(p.q < 4 ? (lo & 0xF0) | nibble : (lo & 0x0F) | (nibble << 4));
  if (dtype == DType::kQ6T) {
    std::uint8_t& hi = tb[128 + 32 * (p.q / 4) + p.s];
    const int shift = 2 * (p.q % 4);
    hi = static_cast<std::uint8_t>((hi & ~(3 << shift)) | (((u >> 4) & 3) << shift));
  }
}

int get_unsigned(DType dtype, const std::uint8_t* tb, std::int64_t r, std::int64_t j) {
  const Slot p = slot_of(r, j);
  if (dtype == DType::kQ8T) return static_cast<std::int8_t>(tb[32 * p.q + p.s]);
  const std::uint8_t lo = tb[32 * (p.q % 4) + p.s];
  int u = p.q < 4 ? lo & 0xF : lo >> 4;
  if (dtype == DType::kQ6T) u |= ((tb[128 + 32 * (p.q / 4) + p.s] >> (2 * (p.q % 4))) & 3) << 4;
  return u;
}

int zero_point(DType dtype) { return dtype == DType::kQ4T ? 8 : dtype == DType::kQ6T ? 32 : 0; }
int max_code(DType dtype) { return dtype == DType::kQ8T ? 127 : dtype == DType::kQ4T ? 7 : 31; }

}  // namespace

void pack_tiled(DType dtype, std::span<const float> w, std::int64_t N, std::int64_t K, std::int64_t tile_begin,
                std::int64_t tile_end, std::span<std::uint8_t> data, std::span<std::uint8_t> scales) {
  const std::int64_t blocks = K / kBlock;
  const int qmax = max_code(dtype);
  const int zp = zero_point(dtype);
  for (std::int64_t g = tile_begin; g < tile_end; ++g) {
    float row_scale[kRows] = {};  // Q8T: one scale per row
    if (dtype == DType::kQ8T) {
      for (std::int64_t r = 0; r < kRows; ++r) {
        const std::int64_t n = g * kRows + r;
        float m = 0;
        for (std::int64_t k = 0; n < N && k < K; ++k) m = std::max(m, std::fabs(w[static_cast<std::size_t>(n * K + k)]));
        row_scale[r] = m / 127.0f;
        std::memcpy(scales.data() + static_cast<std::size_t>(n) * 4, &row_scale[r], 4);
      }
    }
    for (std::int64_t b = 0; b < blocks; ++b) {
      std::uint8_t* tb = data.data() + tile_block_offset(dtype, K, g, b);
      std::memset(tb, 0, tile_block_bytes(dtype));
      for (std::int64_t r = 0; r < kRows; ++r) {
        const std::int64_t n = g * kRows + r;
        if (n >= N) {  // padding row: code of zero
          for (std::int64_t j = 0; j < kBlock; ++j) put_code(dtype, tb, r, j, zp);
          continue;
        }
        const float* row = w.data() + n * K;
        float scale;
        if (dtype == DType::kQ8T) {
          scale = row_scale[r];
        } else {
          float m = 0;
          for (std::int64_t j = 0; j < kBlock; ++j) m = std::max(m, std::fabs(row[b * kBlock + j]));
          const std::uint16_t h = f16_round_up(m / static_cast<float>(qmax));
          scale = f16_to_f32(h);
          std::memcpy(scales.data() + static_cast<std::size_t>((g * blocks + b) * kRows + r) * 2, &h, 2);
        }
        const float inv = scale > 0 ? 1.0f / scale : 0.0f;
        for (std::int64_t j = 0; j < kBlock; ++j) {
          const float v = std::nearbyint(row[b * kBlock + j] * inv);
          const int c = static_cast<int>(std::clamp(v, static_cast<float>(-qmax), static_cast<float>(qmax)));
          put_code(dtype, tb, r, j, c + zp);
        }
      }
    }
  }
}

TensorView tiled_view(DType dtype, std::int64_t N, std::int64_t K, std::span<const std::uint8_t> data,
                      std::span<const std::uint8_t> scales) {
  TensorView v;
  v.dtype = dtype;
  v.rank = 2;
  v.shape = {N, K, 1, 1};
  v.data = data.data();
  v.data_bytes = data.size();
  v.scales = scales.data();
  v.scales_bytes = scales.size();
  return v;
}

TiledTensor pack_tiled_tensor(DType dtype, std::span<const float> w, std::int64_t N, std::int64_t K) {
  const std::int64_t shape[2] = {N, K};
  const TensorBytes bytes = tensor_bytes(dtype, shape, 0).value();
  TiledTensor t{dtype, N, K, std::vector<std::uint8_t>(bytes.data), std::vector<std::uint8_t>(bytes.scales)};
  pack_tiled(dtype, w, N, K, 0, (N + kRows - 1) / kRows, t.data, t.scales);
  return t;
}

int tiled_code(const TensorView& w, std::int64_t n, std::int64_t k) {
  const auto* data = static_cast<const std::uint8_t*>(w.data);
  const std::uint8_t* tb = data + tile_block_offset(w.dtype, w.cols(), n / kRows, k / kBlock);
  return get_unsigned(w.dtype, tb, n % kRows, k % kBlock) - zero_point(w.dtype);
}

float tiled_scale(const TensorView& w, std::int64_t n, std::int64_t k) {
  if (w.dtype == DType::kQ8T) {
    float s;
    std::memcpy(&s, static_cast<const std::uint8_t*>(w.scales) + static_cast<std::size_t>(n) * 4, 4);
    return s;
  }
  const std::int64_t blocks = w.cols() / kBlock;
  std::uint16_t h;
  std::memcpy(&h,
              static_cast<const std::uint8_t*>(w.scales) +
                  static_cast<std::size_t>(((n / kRows) * blocks + k / kBlock) * kRows + n % kRows) * 2,
              2);
  return f16_to_f32(h);
}

void dequantize_tiled_row(const TensorView& w, std::int64_t n, float* out) {
  const std::int64_t K = w.cols();
  for (std::int64_t b = 0; b < K / kBlock; ++b) {
    const float s = tiled_scale(w, n, b * kBlock);
    for (std::int64_t j = 0; j < kBlock; ++j) {
      const std::int64_t k = b * kBlock + j;
      out[k] = static_cast<float>(tiled_code(w, n, k)) * s;
    }
  }
}

}  // namespace linnet::kernels
