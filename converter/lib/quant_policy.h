// Which dtype each tensor gets for a requested quantization (docs/bundle-format.md has
// the policy with the errors measured on qwen35-tiny-a):
//
//   class                      f32   f16   q8    q6    q4
//   linear projections         f32   f16   q8t   q6t   q4t
//   embed_tokens / lm_head     f32   f16   q8t   q6t   q6t
//   (the tiled dtypes need K % 32 == 0; other matrices get the untiled per-row q8)
//   in_proj_a / in_proj_b      f32   f32   f32   f32   (gate inputs, 0.1% of the weights)
//   norms, conv1d, A_log, dt_bias: always f32 (the executor reads them directly)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "runtime/bundle/model_view.h"
#include "runtime/bundle/tensor_catalog.h"
#include "runtime/core/result.h"

namespace linnet::convert {

enum class QuantMode : std::uint8_t { kF32, kF16, kQ8, kQ6, kQ4 };

Result<QuantMode> parse_quant_mode(std::string_view name);  // "f32", "f16", "q8", "q6", "q4"
std::string_view quant_mode_name(QuantMode mode);

struct DTypeChoice {
  DType dtype = DType::kF32;
  std::uint32_t block_size = 0;  // Q4 only
};

// `shape` is the tensor's logical shape ([out, in] for matrices).
DTypeChoice choose_dtype(QuantMode mode, TensorClass cls, std::span<const std::int64_t> shape);

// The same, with embed_tokens / lm_head stored as `embedding_mode` when given (the
// --embed option, used to measure the policy's choice).
DTypeChoice choose_dtype(QuantMode mode, const std::optional<QuantMode>& embedding_mode, TensorClass cls,
                         std::span<const std::int64_t> shape);

}  // namespace linnet::convert
