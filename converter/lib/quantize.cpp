#include "converter/lib/quantize.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <string>

#include "runtime/bundle/tensor_layout.h"
#include "converter/lib/safetensors.h"
#include "kernels/qlinear/tiled_pack.h"

namespace linnet::convert {

Quantized quantize_q8(std::span<const float> w, std::int64_t rows, std::int64_t cols, int threads) {
  Quantized q;
  q.data.resize(static_cast<std::size_t>(rows * cols));
  q.scales.resize(static_cast<std::size_t>(rows) * 4);
  parallel_rows(rows, threads, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t n = begin; n < end; ++n) {
      const float* row = w.data() + n * cols;
      float amax = 0;
      for (std::int64_t k = 0; k < cols; ++k) amax = std::max(amax, std::fabs(row[k]));
      const float scale = amax > 0 ? std::max(amax / 127.0f, FLT_MIN) : 1.0f;
      const float inv = 1.0f / scale;
      auto* out = reinterpret_cast<std::int8_t*>(q.data.data() + n * cols);
      for (std::int64_t k = 0; k < cols; ++k) {
        const float r = std::nearbyint(row[k] * inv);
        out[k] = static_cast<std::int8_t>(std::clamp(r, -127.0f, 127.0f));
      }
      std::memcpy(q.scales.data() + n * 4, &scale, 4);
    }
  });
  return q;
}

Quantized quantize_q4(std::span<const float> w, std::int64_t rows, std::int64_t cols, std::uint32_t block,
                      int threads) {
  Quantized q;
  const std::int64_t blocks = cols / block;
  q.data.assign(static_cast<std::size_t>(rows * cols / 2), 0);
  q.scales.resize(static_cast<std::size_t>(rows * blocks) * 2);
  parallel_rows(rows, threads, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t n = begin; n < end; ++n) {
      const float* row = w.data() + n * cols;
      std::uint8_t* out = q.data.data() + n * cols / 2;
      for (std::int64_t b = 0; b < blocks; ++b) {
        const float* x = row + b * block;
        float amax = 0;
        for (std::uint32_t i = 0; i < block; ++i) amax = std::max(amax, std::fabs(x[i]));
        // XNNPACK's qb4w refuses scales that are not positive normal bf16 values: an
        // all-zero block gets 1, a block of tiny weights at least FLT_MIN (a normal bf16).
        std::uint16_t scale_bits = f32_to_bf16(amax > 0 ? std::max(amax / 7.0f, FLT_MIN) : 1.0f);
        if (bf16_to_f32(scale_bits) < FLT_MIN) scale_bits = f32_to_bf16(FLT_MIN);  // rounding went below
        const float scale = bf16_to_f32(scale_bits);
        const float inv = 1.0f / scale;
        for (std::uint32_t i = 0; i < block; ++i) {
          const float r = std::clamp(std::nearbyint(x[i] * inv), -8.0f, 7.0f);
          const auto code = static_cast<std::uint8_t>(static_cast<int>(r) + 8);
          const std::int64_t k = b * block + i;
          out[k / 2] = static_cast<std::uint8_t>(out[k / 2] | (k % 2 == 0 ? code : code << 4));
        }
        std::memcpy(q.scales.data() + (n * blocks + b) * 2, &scale_bits, 2);
      }
    }
  });
  return q;
}

std::vector<float> dequantize_q8(std::span<const std::uint8_t> data, std::span<const std::uint8_t> scales,
                                 std::int64_t rows, std::int64_t cols) {
  std::vector<float> out(static_cast<std::size_t>(rows * cols));
  for (std::int64_t n = 0; n < rows; ++n) {
    float scale;
    std::memcpy(&scale, scales.data() + n * 4, 4);
    for (std::int64_t k = 0; k < cols; ++k) {
      out[static_cast<std::size_t>(n * cols + k)] =
          static_cast<float>(static_cast<std::int8_t>(data[static_cast<std::size_t>(n * cols + k)])) * scale;
    }
  }
  return out;
}

std::vector<float> dequantize_q4(std::span<const std::uint8_t> data, std::span<const std::uint8_t> scales,
                                 std::int64_t rows, std::int64_t cols, std::uint32_t block) {
  std::vector<float> out(static_cast<std::size_t>(rows * cols));
  const std::int64_t blocks = cols / block;
  for (std::int64_t n = 0; n < rows; ++n) {
    for (std::int64_t k = 0; k < cols; ++k) {
      std::uint16_t bits;
      std::memcpy(&bits, scales.data() + (n * blocks + k / block) * 2, 2);
      const std::uint8_t byte = data[static_cast<std::size_t>((n * cols + k) / 2)];
      const int code = k % 2 == 0 ? (byte & 0x0F) : (byte >> 4);
      out[static_cast<std::size_t>(n * cols + k)] = static_cast<float>(code - 8) * bf16_to_f32(bits);
    }
  }
  return out;
}

std::vector<float> dequantize_q8(const Quantized& q, std::int64_t rows, std::int64_t cols) {
  return dequantize_q8(q.data, q.scales, rows, cols);
}

std::vector<float> dequantize_q4(const Quantized& q, std::int64_t rows, std::int64_t cols, std::uint32_t block) {
  return dequantize_q4(q.data, q.scales, rows, cols, block);
}

Result<std::vector<std::uint8_t>> encode_f16(std::span<const float> w) {
  std::vector<std::uint8_t> out(w.size() * 2);
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (std::isfinite(w[i]) && std::fabs(w[i]) > 65504.0f) {
      return Error(ErrorCode::kOutOfRange, "element " + std::to_string(i) + " (" + std::to_string(w[i]) +
                                               ") overflows f16");
    }
    const std::uint16_t h = f32_to_f16(w[i]);
    std::memcpy(out.data() + 2 * i, &h, 2);
  }
  return out;
}

std::vector<float> decode_f16(std::span<const std::uint8_t> bytes) {
  std::vector<float> out(bytes.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uint16_t h;
    std::memcpy(&h, bytes.data() + 2 * i, 2);
    out[i] = f16_to_f32(h);
  }
  return out;
}

ErrorStats measure_error(std::span<const float> reference, std::span<const float> approx) {
  ErrorStats s;
  for (std::size_t i = 0; i < reference.size() && i < approx.size(); ++i) {
    const double d = static_cast<double>(reference[i]) - static_cast<double>(approx[i]);
    s.max_abs = std::max(s.max_abs, std::fabs(d));
    s.sum_sq_err += d * d;
    s.sum_sq_ref += static_cast<double>(reference[i]) * static_cast<double>(reference[i]);
  }
  s.rel_rms = s.sum_sq_ref > 0 ? std::sqrt(s.sum_sq_err / s.sum_sq_ref) : 0.0;
  return s;
}

Quantized quantize_tiled(DType dtype, std::span<const float> w, std::int64_t rows, std::int64_t cols, int threads) {
  const std::int64_t shape[2] = {rows, cols};
  const TensorBytes bytes = tensor_bytes(dtype, shape, 0).value();
  Quantized q;
  q.data.resize(static_cast<std::size_t>(bytes.data));
  q.scales.resize(static_cast<std::size_t>(bytes.scales));
  const std::int64_t tiles = (rows + kTileRows - 1) / kTileRows;
  parallel_rows(tiles, threads, [&](std::int64_t begin, std::int64_t end) {
    kernels::pack_tiled(dtype, w, rows, cols, begin, end, q.data, q.scales);
  });
  return q;
}

std::vector<float> dequantize_tiled(const Quantized& q, DType dtype, std::int64_t rows, std::int64_t cols) {
  const TensorView v = kernels::tiled_view(dtype, rows, cols, q.data, q.scales);
  std::vector<float> out(static_cast<std::size_t>(rows * cols));
  for (std::int64_t n = 0; n < rows; ++n) kernels::dequantize_tiled_row(v, n, out.data() + n * cols);
  return out;
}

}  // namespace linnet::convert
