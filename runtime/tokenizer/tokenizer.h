// The runtime tokenizer: byte-level BPE identical to the Hugging Face `tokenizers`
// library for Qwen3.5's tokenizer.json.
//
// encode(text):
//   1. added tokens (<|im_start|>, <think>, ...) are found in the raw text first;
//   2. each stretch of text between them is NFC-normalised (utf8proc, with Unicode
//      9.0's rules for later code points, as Hugging Face: nfc_normalizer.h),
//   3. split by the Qwen pre-tokenizer regex (pre_tokenizer.h),
//   4. and each piece's bytes are merged by BPE rank (bpe_merger.h).
// decode(ids): the tokens' bytes concatenated; ill-formed UTF-8 (ids that cut a
// character) becomes U+FFFD, as the Hugging Face ByteLevel decoder does.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/tokenizer/added_token_matcher.h"
#include "runtime/tokenizer/bpe_merger.h"
#include "runtime/tokenizer/nfc_normalizer.h"
#include "runtime/tokenizer/pre_tokenizer.h"
#include "runtime/tokenizer/tokenizer_source.h"

namespace linnet {

struct EncodeScratch;  // tokenizer.cpp: one encode call's working memory

struct EncodeOptions {
  // false: special added tokens written in the text are tokenized as plain text (for
  // untrusted user text that must not open or close chat turns).
  bool parse_special = true;
};

struct DecodeOptions {
  bool skip_special = false;  // drop added tokens marked special
};

class Tokenizer {
 public:
  // Validates `source` and builds the merge table. The vocabulary arrays are used in
  // place: source.vocab_bytes/vocab_offsets must outlive the Tokenizer (they are views
  // into the mapped bundle, or into a convert::TokenizerData).
  static Result<Tokenizer> create(const TokenizerSource& source);

  // Token ids of `text` (UTF-8; ill-formed UTF-8 is kInvalidArgument, naming the offset).
  Result<std::vector<TokenId>> encode(std::string_view text, EncodeOptions options = {}) const;
  // The same, appended to `out`.
  Status encode_append(std::string_view text, std::vector<TokenId>& out, EncodeOptions options = {}) const;

  // Text of `ids`; an id outside the vocabulary is kOutOfRange.
  Result<std::string> decode(std::span<const TokenId> ids, DecodeOptions options = {}) const;

  // Raw bytes of one token (may be part of a UTF-8 character); empty when out of range.
  std::string_view token_bytes(TokenId id) const;
  bool is_special(TokenId id) const;
  // Number of ids the tokenizer defines (the model's vocabulary may be padded beyond).
  std::size_t vocab_size() const { return vocab_offsets_.empty() ? 0 : vocab_offsets_.size() - 1; }

  TokenId eos_id() const { return eos_id_; }
  TokenId pad_id() const { return pad_id_; }
  TokenId endoftext_id() const { return endoftext_id_; }
  TokenId im_start_id() const { return im_start_id_; }
  TokenId im_end_id() const { return im_end_id_; }
  TokenId think_id() const { return think_id_; }
  TokenId end_think_id() const { return end_think_id_; }

 private:
  Tokenizer(BpeMerger merger, PreTokenizer pre_tokenizer) : merger_(std::move(merger)), pre_tokenizer_(std::move(pre_tokenizer)) {}

  Status encode_text(std::string_view text, std::vector<TokenId>& out, EncodeScratch& scratch) const;

  BpeMerger merger_;
  PreTokenizer pre_tokenizer_;
  AddedTokenMatcher added_;
  NfcNormalizer nfc_normalizer_;  // its 8 KiB table is built once, here
  bool nfc_ = true;
  std::span<const std::uint8_t> vocab_bytes_;     // borrowed from the source
  std::span<const std::uint32_t> vocab_offsets_;  // borrowed from the source
  std::vector<bool> special_;                     // id -> added token marked special
  TokenId eos_id_ = -1, pad_id_ = -1, endoftext_id_ = -1, im_start_id_ = -1, im_end_id_ = -1,
          think_id_ = -1, end_think_id_ = -1;
};

}  // namespace linnet
