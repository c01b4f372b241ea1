// Test helper: a random weight matrix in one of the bundle's layouts, owning its buffers,
// with a TensorView onto them (as the loader would give from the mapped file).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "runtime/bundle/model_view.h"
#include "kernels/qlinear/tiled_pack.h"

namespace linnet::kernels::testing {

struct OwnedWeight {
  std::string name;
  std::vector<std::uint8_t> data;
  std::vector<std::uint8_t> scales;
  TensorView view;
};

inline std::uint16_t to_bf16(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>(u >> 16);
}

// W [n, k] with N(0, 0.05) entries in `dtype` (Q4 blocks of 32; K must be a multiple of 32).
inline OwnedWeight make_weight(DType dtype, std::int64_t n, std::int64_t k, std::uint32_t seed,
                               std::string name = "test.weight") {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  const auto N = static_cast<std::size_t>(n), K = static_cast<std::size_t>(k);
  std::vector<float> w(N * K);
  for (float& f : w) f = dist(rng);
  OwnedWeight o;
  o.name = std::move(name);
  switch (dtype) {
    case DType::kF32:
      o.data.resize(N * K * 4);
      std::memcpy(o.data.data(), w.data(), o.data.size());
      break;
    case DType::kF16: {
      o.data.resize(N * K * 2);
      for (std::size_t i = 0; i < N * K; ++i) {
        const _Float16 h = static_cast<_Float16>(w[i]);
        std::memcpy(o.data.data() + 2 * i, &h, 2);
      }
      break;
    }
    case DType::kBF16: {
      o.data.resize(N * K * 2);
      for (std::size_t i = 0; i < N * K; ++i) {
        const std::uint16_t h = to_bf16(w[i]);
        std::memcpy(o.data.data() + 2 * i, &h, 2);
      }
      break;
    }
    case DType::kQ8: {
      o.data.resize(N * K);
      o.scales.resize(N * 4);
      for (std::size_t r = 0; r < N; ++r) {
        float amax = 0;
        for (std::size_t c = 0; c < K; ++c) amax = std::max(amax, std::fabs(w[r * K + c]));
        const float s = amax > 0 ? amax / 127.0f : 1.0f;
        std::memcpy(o.scales.data() + 4 * r, &s, 4);
        for (std::size_t c = 0; c < K; ++c) {
          const long q = std::clamp(std::lround(w[r * K + c] / s), -127L, 127L);
          o.data[r * K + c] = static_cast<std::uint8_t>(static_cast<std::int8_t>(q));
        }
      }
      break;
    }
    case DType::kQ4: {
      const std::size_t blocks = K / 32;
      o.data.assign(N * K / 2, 0);
      o.scales.resize(N * blocks * 2);
      for (std::size_t r = 0; r < N; ++r) {
        for (std::size_t b = 0; b < blocks; ++b) {
          float amax = 0;
          for (std::size_t c = b * 32; c < b * 32 + 32; ++c) amax = std::max(amax, std::fabs(w[r * K + c]));
          const std::uint16_t s16 = to_bf16(amax > 0 ? amax / 7.0f : 1.0f);
          std::memcpy(o.scales.data() + 2 * (r * blocks + b), &s16, 2);
          std::uint32_t bits = static_cast<std::uint32_t>(s16) << 16;
          float s;
          std::memcpy(&s, &bits, 4);
          for (std::size_t c = b * 32; c < b * 32 + 32; ++c) {
            const auto nib = static_cast<std::uint8_t>(std::clamp(std::lround(w[r * K + c] / s), -8L, 7L) + 8);
            std::uint8_t& byte = o.data[r * K / 2 + c / 2];
            byte = static_cast<std::uint8_t>(c % 2 == 0 ? (byte & 0xF0) | nib : (byte & 0x0F) | (nib << 4));
          }
        }
      }
      break;
    }
    case DType::kQ8T:
    case DType::kQ4T:
    case DType::kQ6T: {
      TiledTensor t = pack_tiled_tensor(dtype, w, n, k);
      o.data = std::move(t.data);
      o.scales = std::move(t.scales);
      break;
    }
  }
  o.view.name = o.name;
  o.view.dtype = dtype;
  o.view.shape = {n, k, 1, 1};
  o.view.rank = 2;
  o.view.data = o.data.data();
  o.view.data_bytes = o.data.size();
  o.view.scales = o.scales.empty() ? nullptr : o.scales.data();
  o.view.scales_bytes = o.scales.size();
  o.view.block_size = dtype == DType::kQ4 ? 32u : 0u;
  return o;
}

}  // namespace linnet::kernels::testing
