#include "kernels/qlinear/tiled_linear.h"

#include "kernels/qlinear/tiled_pack.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace linnet::kernels {

struct TiledLinearBackend::Impl {
  TiledLinearOptions options;
  const TiledKernels* kernels = nullptr;
  // Quantized-activation scratch: q [max_rows, max_k], d and sum [max_rows, max_k / 32].
  std::vector<std::int8_t> q;
  std::vector<float> d;
  std::vector<std::int32_t> sum;
  QuantizedRows prepared;  // what prepare() last wrote (rows, K)
  std::uint64_t busy_ns = 0;  // runs are serial: no atomics

  // Quantizes x [rows, K] into the scratch, rows over the pool.
  void prepare(const float* x, int rows, int K) {
    prepared = QuantizedRows{q.data(), d.data(), sum.data(), rows, K};
    const QuantizedRows out = prepared;
    const QuantizeRowsFn fn = kernels->quantize_rows;
    if (options.pool == nullptr || rows < 4) {
      fn(x, static_cast<std::size_t>(K), 0, rows, out);
      return;
    }
    options.pool->parallel_for_ranges(static_cast<std::size_t>(rows), 2, [&](std::size_t b, std::size_t e) {
      fn(x, static_cast<std::size_t>(K), static_cast<int>(b), static_cast<int>(e), out);
    });
  }
};

namespace {

using Clock = std::chrono::steady_clock;

class TiledLinearKernel final : public LinearKernel {
 public:
  TiledLinearKernel(const TensorView& weight, TiledLinearBackend::Impl* backend)
      : LinearKernel(weight), backend_(backend) {
    matrix_.dtype = weight.dtype;
    matrix_.codes = static_cast<const std::uint8_t*>(weight.data);
    matrix_.scales = weight.scales;
    matrix_.N = weight.rows();
    matrix_.K = weight.cols();
    gemm_ = backend->kernels->gemm_for(weight.dtype);
  }

  Status run(const float* x, int rows, float* y) override {
    LINNET_TRY(prepare_input(x, rows));
    return run_prepared(x, rows, y);
  }

  const void* input_preparation_key() const override { return backend_; }

  Status prepare_input(const float* x, int rows) override {
    if (rows < 1 || rows > backend_->options.max_rows)
      return Error(ErrorCode::kInvalidArgument, "tiled linear: rows " + std::to_string(rows) + " outside [1, " +
                                                    std::to_string(backend_->options.max_rows) + "]");
    const auto start = Clock::now();
    backend_->prepare(x, rows, static_cast<int>(matrix_.K));
    backend_->busy_ns += elapsed_ns(start);
    return ok_status();
  }

  Status run_prepared(const float* /*x*/, int rows, float* y) override {
    const QuantizedRows& a = backend_->prepared;
    if (a.rows != rows || a.K != matrix_.K)
      return Error(ErrorCode::kFailedPrecondition, "tiled linear: the prepared input is not this kernel's");
    const auto start = Clock::now();
    const std::int64_t tiles = (matrix_.N + kTileRows - 1) / kTileRows;
    const std::size_t y_stride = static_cast<std::size_t>(matrix_.N);
    const ThreadPool* pool = backend_->options.pool;
    if (pool == nullptr || tiles < 2) {
      gemm_(matrix_, a, 0, tiles, y, y_stride);
    } else {
      // About 4 ranges a thread (balance on a shared machine), at least 2 tiles each.
      pool->parallel_for_ranges(static_cast<std::size_t>(tiles), 2, [&](std::size_t b, std::size_t e) {
        gemm_(matrix_, a, static_cast<std::int64_t>(b), static_cast<std::int64_t>(e), y, y_stride);
      });
    }
    backend_->busy_ns += elapsed_ns(start);
    return ok_status();
  }

  // Each chosen row's whole tile for the one input row (the same arithmetic as run()).
  Status run_rows(const float* x, std::span<const std::int32_t> out_rows, float* y) override {
    LINNET_TRY(prepare_input(x, 1));
    float tile_out[kTileRows];
    for (std::size_t i = 0; i < out_rows.size(); ++i) {
      const std::int64_t n = out_rows[i];
      const std::int64_t g = n / kTileRows;
      // A one-tile matrix over tile g, so the kernel writes its 8 rows to tile_out.
      const auto blocks = static_cast<std::size_t>(matrix_.K / kTileBlockK);
      TiledMatrix one = matrix_;
      one.N = std::min<std::int64_t>(kTileRows, matrix_.N - g * kTileRows);
      one.codes = matrix_.codes + static_cast<std::size_t>(g) * blocks * tile_block_bytes(matrix_.dtype);
      if (matrix_.dtype == DType::kQ8T)
        one.scales = static_cast<const float*>(matrix_.scales) + g * kTileRows;
      else
        one.scales = static_cast<const std::uint16_t*>(matrix_.scales) + static_cast<std::size_t>(g) * blocks * kTileRows;
      gemm_(one, backend_->prepared, 0, 1, tile_out, kTileRows);
      y[i] = tile_out[n - g * kTileRows];
    }
    return ok_status();
  }

  const char* implementation() const override { return name_.c_str(); }

 private:
  static std::uint64_t elapsed_ns(Clock::time_point start) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
  }

  TiledLinearBackend::Impl* backend_;  // borrowed, outlives the kernel
  TiledMatrix matrix_;
  TiledGemmFn gemm_ = nullptr;
  std::string name_ = std::string("linnet ") + backend_->kernels->name + " " + std::string(dtype_name(weight().dtype));
};

}  // namespace

TiledLinearBackend::TiledLinearBackend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TiledLinearBackend::~TiledLinearBackend() = default;

Result<std::unique_ptr<TiledLinearBackend>> TiledLinearBackend::create(const TiledLinearOptions& options) {
  if (options.max_rows < 1 || options.max_in_features < kTileBlockK)
    return Error(ErrorCode::kInvalidArgument, "tiled linear backend: max_rows >= 1 and max_in_features >= 32 needed");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->kernels = &select_tiled_kernels(options.cpu, options.force_reference);
  const auto rows = static_cast<std::size_t>(options.max_rows);
  const auto k = static_cast<std::size_t>((options.max_in_features + kTileBlockK - 1) / kTileBlockK * kTileBlockK);
  impl->q.assign(rows * k, 0);
  impl->d.assign(rows * k / kTileBlockK, 0.0f);
  impl->sum.assign(rows * k / kTileBlockK, 0);
  return std::unique_ptr<TiledLinearBackend>(new TiledLinearBackend(std::move(impl)));
}

bool TiledLinearBackend::supports(const TensorView& weight) const {
  return is_tiled(weight.dtype) && weight.rank == 2 && weight.cols() % kTileBlockK == 0 &&
         weight.cols() <= impl_->options.max_in_features;
}

Result<std::unique_ptr<LinearKernel>> TiledLinearBackend::create_kernel(const TensorView& weight) {
  if (!supports(weight))
    return Error(ErrorCode::kUnsupported, "tiled linear backend: weight " + std::string(weight.name) + " (" +
                                              std::string(dtype_name(weight.dtype)) + ") is not a tiled weight it can run");
  return std::unique_ptr<LinearKernel>(std::make_unique<TiledLinearKernel>(weight, impl_.get()));
}

const char* TiledLinearBackend::tier_name() const { return impl_->kernels->name; }
std::size_t TiledLinearBackend::scratch_bytes() const {
  return impl_->q.size() + impl_->d.size() * sizeof(float) + impl_->sum.size() * sizeof(std::int32_t);
}
std::size_t TiledLinearBackend::scratch_bytes_for(int max_rows, std::int64_t max_in_features) {
  const auto rows = static_cast<std::size_t>(max_rows);
  const auto k = static_cast<std::size_t>((max_in_features + kTileBlockK - 1) / kTileBlockK * kTileBlockK);
  return rows * k + rows * (k / kTileBlockK) * (sizeof(float) + sizeof(std::int32_t));
}
std::uint64_t TiledLinearBackend::busy_ns() const { return impl_->busy_ns; }
void TiledLinearBackend::reset_counters() { impl_->busy_ns = 0; }

}  // namespace linnet::kernels
