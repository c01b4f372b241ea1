#include "bundle/tensor_layout.h"

#include <string>

namespace linnet {

Result<TensorBytes> tensor_bytes(DType dtype, std::span<const std::int64_t> shape, std::uint32_t block_size) {
  constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 42;
  std::uint64_t elements = 1;
  for (const std::int64_t dim : shape) {
    if (dim <= 0 || static_cast<std::uint64_t>(dim) > kMaxElements) {
      return Error(ErrorCode::kCorrupt, "dimension " + std::to_string(dim) + " is out of range");
    }
    elements *= static_cast<std::uint64_t>(dim);  // each factor <= 2^42, checked below
    if (elements > kMaxElements) return Error(ErrorCode::kCorrupt, "shape has too many elements");
  }
  switch (dtype) {
    case DType::kF32: return TensorBytes{elements * 4, 0};
    case DType::kF16:
    case DType::kBF16: return TensorBytes{elements * 2, 0};
    case DType::kQ8:
    case DType::kQ4: break;
    default: return Error(ErrorCode::kCorrupt, "unknown dtype " + std::to_string(static_cast<int>(dtype)));
  }
  if (shape.size() != 2) {
    return Error(ErrorCode::kCorrupt, std::string(dtype_name(dtype)) + " tensor must be 2-D, has rank " +
                                          std::to_string(shape.size()));
  }
  const auto n = static_cast<std::uint64_t>(shape[0]);
  const auto k = static_cast<std::uint64_t>(shape[1]);
  if (dtype == DType::kQ8) return TensorBytes{n * k, n * 4};
  if (block_size == 0 || block_size % 32 != 0 || k % block_size != 0) {
    return Error(ErrorCode::kCorrupt, "q4 block size " + std::to_string(block_size) +
                                          " is not a positive multiple of 32 dividing the row length " +
                                          std::to_string(k));
  }
  return TensorBytes{n * k / 2, n * (k / block_size) * 2};
}

}  // namespace linnet
