// Synthetic bundles for benchmarks without a checkpoint: the real shapes from a config
// (../shared/configs/qwen3.5-*.json), deterministic random weights from --seed, and a
// placeholder byte-level BPE vocabulary of the real size.
//
// Weights are produced directly in their stored encoding (random nibbles and block scales
// for q4, random int8 and row scales for q8, uniform floats for f32/f16), on `threads`
// threads; each row's generator is seeded from (seed, tensor index, row), so the bytes do
// not depend on the thread count. Values are uniform in about +-1/sqrt(in_features), so
// activations keep a sane scale through the layers.
//
// The vocabulary: ids 0..255 are the single bytes; merges build every two-character and
// then three-character string over [A-Za-z0-9_-] up to the model's token count; added
// tokens sit where Qwen3.5 has them (<|endoftext|> 248044, <|im_start|> 248045,
// <|im_end|> 248046, <think> 248068, </think> 248069 for the 248320-row vocabulary).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/bundle/model_view.h"
#include "converter/lib/convert.h"
#include "converter/lib/tokenizer_json.h"

namespace linnet::convert {

struct SyntheticOptions {
  std::string config_path;
  std::string output;
  QuantMode quant = QuantMode::kQ4;
  std::optional<QuantMode> embedding_quant;  // overrides the policy for embed_tokens / lm_head
  std::uint64_t seed = 0;
  int threads = 2;
  std::uint32_t data_alignment = 64;
  std::uint64_t created_unix_seconds = 0;
  std::string converter_version;
  std::function<void(std::size_t done, std::size_t total, std::string_view name)> progress;
};

Result<ConvertReport> write_synthetic(const SyntheticOptions& options);

// The placeholder tokenizer for a vocabulary of `vocab_size` embedding rows.
TokenizerData synthetic_tokenizer(int vocab_size);

}  // namespace linnet::convert
