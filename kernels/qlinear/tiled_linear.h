// Linnet's linear layers over the tiled quantized weights (Q8T, Q4T, Q6T): a LinearBackend
// whose kernels read the weights in place from the mapped bundle (no packing, no file
// beside it) and run the tier chosen at load (tiled_kernels.h) on the shared thread pool.
//
// One backend per loaded model. It owns the scratch for the quantized activations
// ([max_rows, max_in_features] int8 plus a scale and a sum per block of 32), allocated
// once at create(); kernels of one backend must not run concurrently (the executor runs one
// layer at a time). Work split: decode (one row) and prefill alike split the weight's 8-row
// tiles over the pool's threads; each thread runs all rows of x over its tiles, so a
// tile's weights are read from memory once per call.
#pragma once

#include <cstdint>
#include <memory>

#include "runtime/core/result.h"
#include "kernels/linear.h"
#include "kernels/platform/cpu_features.h"
#include "kernels/platform/thread_pool.h"
#include "kernels/qlinear/tiled_kernels.h"

namespace linnet::kernels {

struct TiledLinearOptions {
  int max_rows = 1;                  // largest T a run() gets
  std::int64_t max_in_features = 0;  // largest K among the weights (sizes the scratch)
  const ThreadPool* pool = nullptr;  // borrowed, must outlive the backend; null: one thread
  CpuFeatures cpu;                   // picks the tier
  bool force_reference = false;      // the scalar reference tier (tests, comparisons)
};

class TiledLinearBackend final : public LinearBackend {
 public:
  static Result<std::unique_ptr<TiledLinearBackend>> create(const TiledLinearOptions& options);
  ~TiledLinearBackend() override;
  TiledLinearBackend(const TiledLinearBackend&) = delete;
  TiledLinearBackend& operator=(const TiledLinearBackend&) = delete;

  bool supports(const TensorView& weight) const override;  // Q8T, Q4T, Q6T with K <= max_in_features
  // The weight view must outlive the kernel; the kernel must not outlive the backend.
  Result<std::unique_ptr<LinearKernel>> create_kernel(const TensorView& weight) override;
  Status finish_loading() override { return ok_status(); }

  const char* tier_name() const;  // "avx2", "neon+dotprod", ...
  std::size_t scratch_bytes() const;
  // What create() allocates for these options (scratch_bytes() of the backend it makes):
  // q [max_rows, K32] int8, d and sum [max_rows, K32 / 32] (K32: max_in_features rounded up to 32).
  static std::size_t scratch_bytes_for(int max_rows, std::int64_t max_in_features);
  // Wall time inside the kernels (quantize + matrix product) and runs, since creation or
  // reset_counters(). For `linnet bench`.
  std::uint64_t busy_ns() const;
  void reset_counters();

  struct Impl;  // shared with the kernels (tiled_linear.cpp)

 private:
  explicit TiledLinearBackend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace linnet::kernels
