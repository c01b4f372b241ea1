// The conversion pipeline: a Hugging Face checkpoint directory to a bundle.
//   config.json (+ generation_config.json) -> hyper-parameters (hf_config.h)
//   tokenizer.json + tokenizer_config.json -> tokenizer (tokenizer_json.h)
//   safetensors (single or sharded)        -> tensors checked against the model (checkpoint.h)
//   each tensor -> dtype by policy (quant_policy.h) -> encoded -> written (bundle_writer.h)
// The error of every encoded tensor against the checkpoint is measured and reported.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/bundle/model_view.h"
#include "runtime/bundle/tensor_catalog.h"
#include "converter/lib/bundle_writer.h"
#include "converter/lib/quant_policy.h"
#include "converter/lib/quantize.h"
#include "runtime/core/result.h"
#include "runtime/core/sha256.h"

namespace linnet::convert {

struct ConvertOptions {
  std::string hf_dir;
  std::string output;
  QuantMode quant = QuantMode::kF32;
  std::optional<QuantMode> embedding_quant;  // overrides the policy for embed_tokens / lm_head
  std::uint32_t data_alignment = 64;
  int threads = 2;
  std::uint64_t created_unix_seconds = 0;
  std::string converter_version;
  // Notes for the user (skipped tensors, fallbacks). May be empty.
  std::function<void(std::string_view)> note;
  // Called after each tensor is written. May be empty.
  std::function<void(std::size_t done, std::size_t total, std::string_view name)> progress;
};

struct TensorReport {
  std::string name;
  TensorClass cls = TensorClass::kLinear;
  DType dtype = DType::kF32;
  std::int64_t elements = 0;
  std::uint64_t bytes = 0;  // data + scales
  ErrorStats error;         // against the checkpoint's values (zero for synthetic bundles)
};

struct ConvertReport {
  std::vector<TensorReport> tensors;
  Sha256Digest sha256{};
  std::uint64_t file_size = 0;
  std::size_t skipped_visual = 0;
  std::size_t skipped_mtp = 0;
};

Result<ConvertReport> convert_checkpoint(const ConvertOptions& options);

// Encodes float32 values `w` (shape `shape`) as `choice`: data and scales bytes.
// Errors (an f16 overflow) name nothing; callers add the tensor name.
Result<Quantized> encode_tensor(std::span<const float> w, std::span<const std::int64_t> shape, DTypeChoice choice,
                                int threads);
// The values a stored tensor decodes to (the inverse of encode_tensor).
std::vector<float> decode_tensor(const Quantized& q, std::span<const std::int64_t> shape, DTypeChoice choice);

// The quantization-error summary the converter prints: one line per tensor class (worst
// max abs, aggregate relative RMS, bytes) and, when `per_tensor`, one line per tensor.
std::string format_error_summary(const ConvertReport& report, bool per_tensor);

}  // namespace linnet::convert
