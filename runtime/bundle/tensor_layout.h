// Bytes a tensor occupies in a bundle, per dtype (bundle.fbs states the layouts):
//   F32 4 per element, F16/BF16 2 per element;
//   Q8 [N, K]: data N*K int8, scales N float32;
//   Q4 [N, K], block B: data N*K/2 bytes, scales N*(K/B) bf16;
//   Q8T/Q4T/Q6T [N, K]: ceil(N/8)*(K/32) tile-blocks of 256/128/192 bytes; scales f32 per
//   padded row (Q8T) or f16 per row and block (Q4T, Q6T).
// Shared by the converter (to lay out the file) and the loader (to check every length).
#pragma once

#include <cstdint>
#include <span>

#include "runtime/bundle/model_view.h"
#include "runtime/core/result.h"

namespace linnet {

struct TensorBytes {
  std::uint64_t data = 0;
  std::uint64_t scales = 0;  // 0 for float dtypes
};

// kCorrupt when the combination is impossible: a quantized tensor that is not 2-D, a Q4
// row length that is odd or not a multiple of the block, a block that is not a positive
// multiple of 32, or a size above 2^44 bytes. `shape` dims must be positive.
Result<TensorBytes> tensor_bytes(DType dtype, std::span<const std::int64_t> shape, std::uint32_t block_size);

}  // namespace linnet
