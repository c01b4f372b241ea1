// The one interface the executor uses for every linear layer (projections, MLP, head).
// The implementation is chosen per weight when the executor is created
// (create_linear_kernel): a backend that supports the weight's dtype (Linnet's tiled
// quantized kernels, kernels/qlinear/tiled_linear.h; XNNPACK, kernels/xnnpack/xnn_linear.h),
// else the reference (kernels/reference/linear_ref.h, dequantizing on the fly).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>

#include "runtime/bundle/model_view.h"
#include "runtime/core/result.h"

namespace linnet::kernels {

class LinearBackend;

struct LinearOptions {
  int max_rows = 1;  // the largest T a run() will be given
  int threads = 1;
  // Fast implementations, tried in order; the first that supports the weight makes its
  // kernel; none (or all null): the reference. Borrowed; they must outlive their kernels.
  LinearBackend* backend = nullptr;
  LinearBackend* fallback_backend = nullptr;
};

// A linear layer bound to one weight W [N, K]: y[T, N] = x[T, K] W^T.
// The weight view must outlive the kernel (it points into the mapped bundle).
class LinearKernel {
 public:
  virtual ~LinearKernel() = default;

  // x [rows, K], y [rows, N], row-major, caller-owned, used only during the call;
  // 1 <= rows <= LinearOptions::max_rows. Never allocates.
  virtual Status run(const float* x, int rows, float* y) = 0;

  // Only chosen rows of W for one input vector (the classify head reads a few of V rows):
  // y[i] = W[out_rows[i], :] . x, x [K], y [out_rows.size()]. Rows must be in [0, N).
  virtual Status run_rows(const float* x, std::span<const std::int32_t> out_rows, float* y) = 0;

  // Sharing one input between layers (run_on_same_input): a kernel that prepares its input
  // (quantizes it) names the preparation with a non-null key; kernels with the same key and
  // in_features share one prepare_input() and then run_prepared(). The defaults prepare
  // nothing and run().
  virtual const void* input_preparation_key() const { return nullptr; }
  virtual Status prepare_input(const float* /*x*/, int /*rows*/) { return ok_status(); }
  virtual Status run_prepared(const float* x, int rows, float* y) { return run(x, rows, y); }

  virtual const char* implementation() const = 0;  // e.g. "reference"

  // Whether run() reads the weight's own bytes (the mapped bundle) on every call: true for
  // the reference; false for a kernel that runs from a packed copy (XNNPACK). run_rows()
  // may read a few rows in place either way.
  virtual bool run_reads_weight_bytes() const { return true; }

  std::int64_t out_features() const { return weight_.rows(); }
  std::int64_t in_features() const { return weight_.cols(); }
  const TensorView& weight() const { return weight_; }

 protected:
  explicit LinearKernel(const TensorView& weight) : weight_(weight) {}

 private:
  TensorView weight_;
};

// A provider of fast linear kernels (one per loaded model). Loading creates every kernel,
// then calls finish_loading() once before the first run().
class LinearBackend {
 public:
  virtual ~LinearBackend() = default;
  virtual bool supports(const TensorView& weight) const = 0;
  virtual Result<std::unique_ptr<LinearKernel>> create_kernel(const TensorView& weight) = 0;
  virtual Status finish_loading() = 0;
};

// One output of run_on_same_input: a kernel and where its y [rows, N] goes.
struct LinearOutput {
  LinearKernel* kernel;
  float* y;
};

// y_i = x W_i^T for every output, all reading the same x [rows, K]: an input that a backend
// quantizes is quantized once (q/k/v, gate/up, the DeltaNet input projections).
Status run_on_same_input(const float* x, int rows, std::initializer_list<LinearOutput> outputs);

// Chooses and prepares the implementation for `weight` (rank 2, any bundle dtype).
// Errors on an unsupported dtype or malformed view.
Result<std::unique_ptr<LinearKernel>> create_linear_kernel(const TensorView& weight,
                                                           const LinearOptions& options);

}  // namespace linnet::kernels
