#include "runtime/bundle/tensor_layout.h"

#include <string>

#include "runtime/bundle/bundle_format.h"

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
    case DType::kQ4:
    case DType::kQ8T:
    case DType::kQ4T:
    case DType::kQ6T: break;
    default: return Error(ErrorCode::kCorrupt, "unknown dtype " + std::to_string(static_cast<int>(dtype)));
  }
  if (shape.size() != 2) {
    return Error(ErrorCode::kCorrupt, std::string(dtype_name(dtype)) + " tensor must be 2-D, has rank " +
                                          std::to_string(shape.size()));
  }
  const auto n = static_cast<std::uint64_t>(shape[0]);
  const auto k = static_cast<std::uint64_t>(shape[1]);
  if (dtype == DType::kQ8) return TensorBytes{n * k, n * 4};
  if (is_tiled(dtype)) {
    if (k % kTileBlockK != 0) {
      return Error(ErrorCode::kCorrupt, std::string(dtype_name(dtype)) + " row length " + std::to_string(k) +
                                            " is not a multiple of " + std::to_string(kTileBlockK));
    }
    const std::uint64_t tile_blocks = (n + kTileRows - 1) / kTileRows * (k / kTileBlockK);
    const std::uint64_t padded_rows = (n + kTileRows - 1) / kTileRows * kTileRows;
    if (dtype == DType::kQ8T) return TensorBytes{tile_blocks * kQ8TTileBlockBytes, padded_rows * 4};
    const std::uint64_t code_bytes = dtype == DType::kQ4T ? kQ4TTileBlockBytes : kQ6TTileBlockBytes;
    return TensorBytes{tile_blocks * code_bytes, tile_blocks * kTileRows * 2};
  }
  if (block_size == 0 || block_size % 32 != 0 || k % block_size != 0) {
    return Error(ErrorCode::kCorrupt, "q4 block size " + std::to_string(block_size) +
                                          " is not a positive multiple of 32 dividing the row length " +
                                          std::to_string(k));
  }
  return TensorBytes{n * k / 2, n * (k / block_size) * 2};
}

}  // namespace linnet
