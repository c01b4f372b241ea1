// tiled_gemm_bench: how fast each quantized-matrix tier this CPU runs streams the tiled
// weights, alone (no executor between the calls): 24 matrices of [3584, 1024] (about the
// MLP of a 0.8B layer, 8.6 MiB each in Q4T: more than the caches), one thread, batch 1
// (decode: GB/s of weights) and 128 (prefill: GMAC/s), process CPU time so a busy shared
// machine distorts it less. docs/benchmarks.md quotes it beside xnn_gemv_bench.
//   tiled_gemm_bench            (run inside the build root)
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

#include "runtime/bundle/tensor_layout.h"
#include "kernels/qlinear/tiled_kernels.h"
#include "kernels/qlinear/tiled_pack.h"

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

}  // namespace

int main() {
  using namespace linnet;
  using namespace linnet::kernels;
  constexpr std::int64_t kN = 3584, kK = 1024;
  constexpr std::size_t kLayers = 24;
  constexpr int kMaxRows = 128;
  const auto cpu = detect_cpu_features();
  if (!cpu.ok()) {
    std::fprintf(stderr, "tiled_gemm_bench: %s\n", cpu.error().message().c_str());
    return 1;
  }
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> w(static_cast<std::size_t>(kN * kK));
  for (float& v : w) v = normal(rng);
  std::vector<float> x(static_cast<std::size_t>(kMaxRows * kK));
  for (float& v : x) v = normal(rng) * 50;
  std::vector<std::int8_t> q(x.size());
  std::vector<float> d(x.size() / 32), y(static_cast<std::size_t>(kMaxRows * kN));
  std::vector<std::int32_t> sum(d.size());
  for (DType dtype : {DType::kQ4T, DType::kQ6T, DType::kQ8T}) {
    const std::int64_t shape[2] = {kN, kK};
    const TensorBytes bytes = tensor_bytes(dtype, shape, 0).value();
    std::vector<std::vector<std::uint8_t>> data(kLayers), scales(kLayers);
    for (std::size_t l = 0; l < kLayers; ++l) {
      data[l].resize(bytes.data);
      scales[l].resize(bytes.scales);
      pack_tiled(dtype, w, kN, kK, 0, kN / 8, data[l], scales[l]);
    }
    for (const TiledTier& tier : tiled_tiers()) {
      const TiledKernels* k = tier.kernels();
      if (k == nullptr || !tier.usable(*cpu)) continue;
      for (int rows : {1, kMaxRows})
      for (bool hot : {false, true}) {
        if (hot && rows > 1) continue;
        if (k == &tiled_kernels_ref() && rows > 1) continue;  // minutes, and says nothing new
        const QuantizedRows a{q.data(), d.data(), sum.data(), rows, static_cast<int>(kK)};
        k->quantize_rows(x.data(), kK, 0, rows, a);
        const int reps = rows == 1 ? 20 : 1;
        const double start = cpu_seconds();
        for (int r = 0; r < reps; ++r)
          for (std::size_t l = 0; l < kLayers; ++l) {
            const std::size_t i = hot ? 0 : l;
            const TiledMatrix m{dtype, data[i].data(), scales[i].data(), kN, kK};
            k->gemm_for(dtype)(m, a, 0, kN / 8, y.data(), kN);
          }
        const double s = cpu_seconds() - start;
        const double calls = static_cast<double>(reps) * static_cast<double>(kLayers);
        std::printf("%-12s %-4s rows %3d%s: %7.3f ms a matrix, %6.2f GB/s of weights, %7.1f GMAC/s\n", k->name,
                    std::string(dtype_name(dtype)).c_str(), rows, hot ? " (one matrix, cached)" : "", s / calls * 1e3,
                    static_cast<double>(bytes.data + bytes.scales) * calls / s * 1e-9,
                    static_cast<double>(kN * kK) * rows * calls / s * 1e-9);
      }
    }
  }
  return 0;
}
