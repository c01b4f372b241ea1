// xnn_gemv_bench: how fast XNNPACK's dynamically quantized fully-connected operators stream
// weights on this machine, alone (no Linnet code between the calls). 24 operators of
// [3584, 1024] (about the MLP of a 0.8B layer), batch 1 and 128, one thread, process CPU time,
// so a busy shared machine does not distort it. docs/benchmarks.md quotes it.
//   xnn_gemv_bench            (run inside the build root)
#include <xnnpack.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <vector>

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

enum class Kind { kQb4w, kQc4w, kQc8w };

}  // namespace

int main() {
  if (xnn_initialize(nullptr) != xnn_status_success) {
    std::fprintf(stderr, "xnn_gemv_bench: XNNPACK initialisation failed\n");
    return 1;
  }
  constexpr std::size_t kN = 3584, kK = 1024, kLayers = 24, kMaxRows = 128;
  std::vector<std::vector<std::uint8_t>> w4(kLayers, std::vector<std::uint8_t>(kN * kK / 2, 0x98));
  std::vector<std::vector<std::int8_t>> w8(kLayers, std::vector<std::int8_t>(kN * kK, 3));
  const std::vector<std::uint16_t> bf16_scales(kN * kK / 32, 0x3c00);  // 2^-7
  const std::vector<float> channel_scales(kN, 0.01f);
  std::vector<float> x(kMaxRows * kK + 16, 0.3f), y(kMaxRows * kN);
  std::vector<std::int8_t> xq(kMaxRows * kK + XNN_EXTRA_BYTES);
  std::vector<xnn_quantization_params> params(kMaxRows + XNN_EXTRA_QUANTIZATION_PARAMS);
  xnn_operator_t convert = nullptr;
  if (xnn_create_convert_nc_f32_qd8(0, &convert) != xnn_status_success) return 1;
  for (Kind kind : {Kind::kQb4w, Kind::kQc4w, Kind::kQc8w}) {
    const char* name = kind == Kind::kQb4w ? "qd8-f32-qb4w" : kind == Kind::kQc4w ? "qd8-f32-qc4w" : "qd8-f32-qc8w";
    std::vector<xnn_operator_t> ops(kLayers, nullptr);
    for (std::size_t l = 0; l < kLayers; ++l) {
      xnn_status st = xnn_status_success;
      if (kind == Kind::kQb4w)
        st = xnn_create_fully_connected_nc_qd8_f32_qb4w(kK, kN, kK, kN, 32, 8, bf16_scales.data(), w4[l].data(),
                                                        nullptr, -INFINITY, INFINITY, 0, nullptr, nullptr, &ops[l]);
      else if (kind == Kind::kQc4w)
        st = xnn_create_fully_connected_nc_qd8_f32_qc4w(kK, kN, kK, kN, 8, channel_scales.data(), w4[l].data(), nullptr,
                                                        -INFINITY, INFINITY, 0, nullptr, nullptr, &ops[l]);
      else
        st = xnn_create_fully_connected_nc_qd8_f32_qc8w(kK, kN, kK, kN, channel_scales.data(), w8[l].data(), nullptr,
                                                        -INFINITY, INFINITY, 0, nullptr, nullptr, &ops[l]);
      if (st != xnn_status_success) {
        std::fprintf(stderr, "xnn_gemv_bench: cannot create %s\n", name);
        return 1;
      }
    }
    for (std::size_t rows : {std::size_t{1}, kMaxRows}) {
      xnn_reshape_convert_nc_f32_qd8(convert, rows, kK, kK, kK, nullptr);
      xnn_setup_convert_nc_f32_qd8(convert, x.data(), xq.data(), params.data());
      xnn_run_operator(convert, nullptr);
      for (xnn_operator_t op : ops) {
        if (kind == Kind::kQb4w) {
          xnn_reshape_fully_connected_nc_qd8_f32_qb4w(op, rows, nullptr);
          xnn_setup_fully_connected_nc_qd8_f32_qb4w(op, xq.data(), y.data(), params.data());
        } else if (kind == Kind::kQc4w) {
          xnn_reshape_fully_connected_nc_qd8_f32_qc4w(op, rows, nullptr);
          xnn_setup_fully_connected_nc_qd8_f32_qc4w(op, xq.data(), y.data(), params.data());
        } else {
          xnn_reshape_fully_connected_nc_qd8_f32_qc8w(op, rows, nullptr);
          xnn_setup_fully_connected_nc_qd8_f32_qc8w(op, xq.data(), y.data(), params.data());
        }
      }
      for (xnn_operator_t op : ops) xnn_run_operator(op, nullptr);  // warm-up
      const int reps = rows == 1 ? 10 : 1;
      const double start = cpu_seconds();
      for (int r = 0; r < reps; ++r)
        for (xnn_operator_t op : ops) xnn_run_operator(op, nullptr);
      const double t = (cpu_seconds() - start) / reps;
      const double weight_bytes = static_cast<double>(kLayers * kN * kK) * (kind == Kind::kQc8w ? 1.0 : 0.5);
      std::printf("%s batch %3zu: %7.2f ms, weights streamed %6.2f GB/s, %6.1f GOPS\n", name, rows, t * 1e3,
                  weight_bytes / t * 1e-9, 2.0 * static_cast<double>(kLayers * kN * kK * rows) / t * 1e-9);
    }
    for (xnn_operator_t op : ops) xnn_delete_operator(op);
  }
  xnn_delete_operator(convert);
  xnn_deinitialize();
  return 0;
}
