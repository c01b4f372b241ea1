#include "kernels/linear.h"

#include <string>

#include "runtime/bundle/tensor_layout.h"
#include "kernels/reference/linear_ref.h"

namespace linnet::kernels {
namespace {

// The reference implementation: dequantizes blocks of each weight row on the fly.
class ReferenceLinearKernel final : public LinearKernel {
 public:
  explicit ReferenceLinearKernel(const TensorView& weight) : LinearKernel(weight) {}

  Status run(const float* x, int rows, float* y) override {
    linear_ref(weight(), x, rows, y);
    return ok_status();
  }
  Status run_rows(const float* x, std::span<const std::int32_t> out_rows, float* y) override {
    linear_rows_ref(weight(), x, out_rows, y);
    return ok_status();
  }
  const char* implementation() const override { return "reference"; }
};

std::size_t element_bytes(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 4;
    case DType::kF16:
    case DType::kBF16: return 2;
    case DType::kQ8: return 1;
    case DType::kQ4: return 0;  // two a byte, checked separately
    case DType::kQ8T:
    case DType::kQ4T:
    case DType::kQ6T: return 0;  // tiled: tensor_bytes() checks them
  }
  return 0;
}

// Checks that the view's buffers hold what its dtype and shape need.
Status check_weight(const TensorView& w) {
  const std::string name(w.name);
  if (w.rank != 2 || w.rows() <= 0 || w.cols() <= 0 || w.data == nullptr)
    return Error(ErrorCode::kInvalidArgument, "linear weight " + name + ": needs a present rank-2 tensor");
  const auto n = static_cast<std::size_t>(w.rows());
  const auto k = static_cast<std::size_t>(w.cols());
  std::size_t data_bytes = n * k * element_bytes(w.dtype);
  std::size_t scales_bytes = 0;
  if (w.dtype == DType::kQ8) scales_bytes = n * 4;
  if (w.dtype == DType::kQ4) {
    if (w.block_size == 0 || k % 2 != 0 || k % w.block_size != 0)
      return Error(ErrorCode::kCorrupt, "linear weight " + name + ": Q4 needs K even and a multiple of block_size");
    data_bytes = n * k / 2;
    scales_bytes = n * (k / w.block_size) * 2;
  }
  if (is_tiled(w.dtype)) {
    auto bytes = tensor_bytes(w.dtype, std::span<const std::int64_t>(w.shape.data(), 2), 0);
    if (!bytes.ok()) return Error(ErrorCode::kCorrupt, "linear weight " + name + ": " + bytes.error().message());
    data_bytes = static_cast<std::size_t>(bytes->data);
    scales_bytes = static_cast<std::size_t>(bytes->scales);
  }
  if (w.data_bytes < data_bytes)
    return Error(ErrorCode::kCorrupt, "linear weight " + name + ": data smaller than its shape");
  if (scales_bytes > 0 && (w.scales == nullptr || w.scales_bytes < scales_bytes))
    return Error(ErrorCode::kCorrupt, "linear weight " + name + ": scales missing or too small");
  return ok_status();
}

}  // namespace

Status run_on_same_input(const float* x, int rows, std::initializer_list<LinearOutput> outputs) {
  const void* prepared_key = nullptr;
  std::int64_t prepared_k = 0;
  for (const LinearOutput& o : outputs) {
    const void* key = o.kernel->input_preparation_key();
    if (key == nullptr || key != prepared_key || o.kernel->in_features() != prepared_k) {
      LINNET_TRY(o.kernel->prepare_input(x, rows));
      prepared_key = key;
      prepared_k = o.kernel->in_features();
    }
    LINNET_TRY(o.kernel->run_prepared(x, rows, o.y));
  }
  return ok_status();
}

Result<std::unique_ptr<LinearKernel>> create_linear_kernel(const TensorView& weight,
                                                           const LinearOptions& options) {
  if (options.max_rows < 1 || options.threads < 1)
    return Error(ErrorCode::kInvalidArgument, "linear kernel: max_rows and threads must be >= 1");
  LINNET_TRY(check_weight(weight));
  for (LinearBackend* backend : {options.backend, options.fallback_backend})
    if (backend != nullptr && backend->supports(weight)) return backend->create_kernel(weight);
  return std::unique_ptr<LinearKernel>(std::make_unique<ReferenceLinearKernel>(weight));
}

}  // namespace linnet::kernels
