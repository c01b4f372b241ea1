// Reading a Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) into owning
// arrays the converter writes into the bundle, and that tests hand to the runtime
// tokenizer through view().
//
// Supported: a byte-level BPE model (GPT-2 byte-to-unicode map, no byte fallback, no
// subword prefix/suffix), an NFC normalizer or none, and a pre-tokenizer that is the
// Qwen3.5 split regex (or the Qwen2 one, which lacks \p{M}) followed by ByteLevel.
// Anything else is refused with kUnsupported, naming the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/tokenizer/tokenizer_source.h"

namespace linnet::convert {

struct AddedTokenData {
  std::uint32_t id = 0;
  std::string content;  // UTF-8, matched verbatim in raw text
  bool special = false;
};

// The ChatML pieces the bundle's ChatTemplate table holds (Qwen3.5 values; the
// converter decides default_thinking from the model size).
struct ChatTemplateData {
  std::string im_start = "<|im_start|>";
  std::string im_end = "<|im_end|>";
  std::string thinking_on = "<think>\n";
  std::string thinking_off = "<think>\n\n</think>\n\n";
  bool default_thinking = false;
};

struct TokenizerData {
  std::string model = "bpe";
  std::string normalizer;     // "NFC" or "none"
  std::string pre_tokenizer;  // "qwen3.5" or "qwen2" (see tokenizer_source.h)
  // The id table covers every id 0 .. max(model vocab id, added token id): token i's
  // bytes are vocab_bytes[vocab_offsets[i] .. vocab_offsets[i+1]). Model tokens hold
  // their raw bytes (byte-level map undone); added tokens hold their UTF-8 content;
  // ids that neither defines are empty.
  std::vector<std::uint8_t> vocab_bytes;
  std::vector<std::uint32_t> vocab_offsets;
  // Merges in rank order: merge_left[r] + merge_right[r] -> merge_result[r].
  std::vector<std::uint32_t> merge_left;
  std::vector<std::uint32_t> merge_right;
  std::vector<std::uint32_t> merge_result;
  std::vector<AddedTokenData> added_tokens;  // in tokenizer.json order
  std::int32_t eos_id = -1;        // tokenizer_config eos_token (<|im_end|>)
  std::int32_t pad_id = -1;        // tokenizer_config pad_token (<|endoftext|>)
  std::int32_t endoftext_id = -1;  // <|endoftext|>
  std::int32_t im_start_id = -1;
  std::int32_t im_end_id = -1;
  std::int32_t think_id = -1;
  std::int32_t end_think_id = -1;
  ChatTemplateData chat;

  std::size_t vocab_count() const { return vocab_offsets.empty() ? 0 : vocab_offsets.size() - 1; }

  // Non-owning views into this object; valid while it lives and is not modified.
  TokenizerSource view() const;
};

// Reads `hf_dir`/tokenizer.json (required) and `hf_dir`/tokenizer_config.json (optional:
// eos_token, pad_token). Errors name the file and what is wrong in it.
Result<TokenizerData> read_tokenizer_files(const std::string& hf_dir);

// The same from JSON text already in memory (`config_json` may be empty); `origin`
// names the source in error messages. Used by read_tokenizer_files and tests.
Result<TokenizerData> parse_tokenizer_json(const std::string& tokenizer_json,
                                           const std::string& config_json,
                                           const std::string& origin);

}  // namespace linnet::convert
