// The tokenizer's input data as non-owning views: what the bundle loader hands the
// runtime tokenizer (views into the mapped bundle), and what the converter writes
// into the bundle (views into converter/lib/tokenizer_json.h's owning TokenizerData).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace linnet {

struct AddedTokenView {
  std::uint32_t id = 0;
  std::string_view content;  // UTF-8, matched verbatim in the raw text
  bool special = false;
};

struct TokenizerSource {
  // Token i's raw bytes (byte-level mapping undone) are
  // vocab_bytes[vocab_offsets[i] .. vocab_offsets[i+1]); vocab count = offsets.size() - 1.
  std::span<const std::uint8_t> vocab_bytes;
  std::span<const std::uint32_t> vocab_offsets;
  // Merge rank r: merge_left[r] + merge_right[r] -> merge_result[r].
  std::span<const std::uint32_t> merge_left;
  std::span<const std::uint32_t> merge_right;
  std::span<const std::uint32_t> merge_result;
  std::vector<AddedTokenView> added_tokens;
  std::int32_t eos_id = -1;        // <|im_end|>: generation stops
  std::int32_t pad_id = -1;        // <|endoftext|>
  std::int32_t endoftext_id = -1;  // <|endoftext|>: generation stops too
  std::int32_t im_start_id = -1;
  std::int32_t im_end_id = -1;
  std::int32_t think_id = -1;
  std::int32_t end_think_id = -1;
  // Which normalizer and pre-tokenizer the tokenizer applies (the bundle's Tokenizer
  // table fields). normalizer: "NFC" or "none"; pre_tokenizer: "qwen3.5" (the split
  // regex of ../shared/docs/qwen35-reference.md) or "qwen2" (the same without \p{M}).
  // Empty means the Qwen3.5 choice ("NFC", "qwen3.5").
  std::string_view normalizer;
  std::string_view pre_tokenizer;
};

}  // namespace linnet
