// Linnet's linear layers on XNNPACK: a backend that turns bundle weights into LinearKernels
// (kernels/linear.h) running XNNPACK's fully-connected operators on the shared thread pool.
//
// One backend per loaded model. It owns the XNNPACK context, the packed-weights cache (a
// file beside the bundle, see packed_weights_cache.h) and one scratch buffer for the
// dynamically quantized activations, shared by all its kernels: the executor runs one
// linear layer at a time, so kernels of one backend must never run concurrently.
//
// Loading: create() every kernel, then finish_loading() (writes the cache file on a first
// load; XNNPACK refuses to run operators before). Each kernel's first run() would finish
// loading itself, but the executor should call it explicitly so no file is written on
// the token path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/bundle/model_view.h"
#include "runtime/core/result.h"
#include "kernels/linear.h"
#include "kernels/platform/thread_pool.h"

namespace linnet::kernels {

struct XnnLinearOptions {
  int max_rows = 1;                  // largest T a kernel's run() gets
  std::int64_t max_in_features = 0;  // largest K among the weights (sizes the shared scratch)
  const ThreadPool* pool = nullptr;  // borrowed, must outlive the backend; null: one thread
  // The packed-weights cache file (usually "<bundle>.xnnpack"); empty: pack in memory.
  std::string cache_path;
  // Identity of the weights, e.g. the bundle's content SHA-256 and size. The cache key adds
  // the XNNPACK library and this CPU's features to it.
  std::string weights_identity;
  std::size_t cache_reserve_bytes = std::size_t{1} << 32;  // upper bound of the packed bytes
  // After packing a weight, let the kernel reclaim the bundle's pages of it (madvise
  // PAGEOUT; they come back from the file if read again), so the packed copy does not sit
  // beside the original in memory.
  bool release_packed_originals = true;
  std::function<void(std::string_view)> log;  // progress ("packing weights ..."); null: silent
};

// The check create() makes, on its own (tests/platform uses it to tell an XNNPACK bug on this
// CPU that Linnet guards against from one it does not).
bool xnnpack_four_bit_agrees_with_reference(const ThreadPool* pool);

class XnnLinearBackend final : public LinearBackend {
 public:
  static Result<std::unique_ptr<XnnLinearBackend>> create(const XnnLinearOptions& options);
  ~XnnLinearBackend() override;
  XnnLinearBackend(const XnnLinearBackend&) = delete;
  XnnLinearBackend& operator=(const XnnLinearBackend&) = delete;

  // Whether XNNPACK can run this weight (F32, F16, Q8, Q4, Q8T and Q4T through a rewrite into
  // its layouts; not BF16 or Q6T), and for 4-bit weights, whether its 4-bit operator
  // agrees with the reference on this CPU (checked once, when the first 4-bit weight is
  // offered; XNNPACK 2024-11 is wrong on some AVX512-VNNI CPUs).
  bool supports(const TensorView& weight) const override;
  bool four_bit_kernels_agree() const;

  // A kernel for `weight` [N, K] (K <= max_in_features). The weight view must outlive the
  // kernel (run_rows reads it); the kernel must not outlive the backend.
  Result<std::unique_ptr<LinearKernel>> create_kernel(const TensorView& weight) override;

  // Finalizes the packed-weights cache. Idempotent.
  Status finish_loading() override;

  // Wall time spent inside the kernels' run() (quantize + XNNPACK operator), and the number
  // of runs, since creation or the last reset_counters(). For `linnet bench`.
  std::uint64_t busy_ns() const;
  std::uint64_t runs() const;
  void reset_counters();

  std::string cache_description() const;
  std::size_t packed_bytes() const;
  std::size_t scratch_bytes() const;
  const XnnLinearOptions& options() const;

  struct Impl;  // shared with the kernels (xnn_linear.cpp)

 private:
  explicit XnnLinearBackend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace linnet::kernels
