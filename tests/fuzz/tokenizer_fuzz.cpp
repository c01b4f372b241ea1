// Fuzzes the runtime tokenizer (runtime/tokenizer) with arbitrary text and ids: the
// special-token matcher, UTF-8 validation, windowed NFC, the hand-written pre-tokenizer
// regex, BPE merging (short and long pieces) and the stream decoder.
//
// Input: byte 0 picks the options (pre-tokenizer kind, NFC on/off, special tokens parsed
// or not); the rest is the text. Checked properties:
// - encode fails exactly when the text is not valid UTF-8;
// - every id is inside the vocabulary, and decoding gives back the (normalised) text when
//   no special tokens are parsed;
// - the stream decoder, fed the ids one at a time, only ever emits valid UTF-8, and the
//   same text as decode; fed the input bytes as ids it still emits valid UTF-8.
// The tokenizer is a small byte-level BPE built here (bytes, merges of frequent ASCII and
// UTF-8 pairs, the Qwen special tokens), so the target needs no files.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/tokenizer/nfc_normalizer.h"
#include "runtime/tokenizer/stream_decoder.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/tokenizer/utf8.h"

namespace {

using linnet::TokenId;

struct FuzzTokenizerData {
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint32_t> offsets{0};
  std::vector<std::uint32_t> left, right, result;
  std::vector<std::string> added;
  std::uint32_t added_base = 0;  // id of the first added token (after the merges)

  std::uint32_t add_token(std::string_view s) {
    bytes.insert(bytes.end(), s.begin(), s.end());
    offsets.push_back(static_cast<std::uint32_t>(bytes.size()));
    return static_cast<std::uint32_t>(offsets.size() - 2);
  }
  std::string_view token(std::uint32_t id) const {
    return {reinterpret_cast<const char*>(bytes.data()) + offsets[id], offsets[id + 1] - offsets[id]};
  }
  void add_merge(std::uint32_t a, std::uint32_t b) {
    left.push_back(a);
    right.push_back(b);
    result.push_back(add_token(std::string(token(a)) + std::string(token(b))));
  }

  FuzzTokenizerData() {
    for (int b = 0; b < 256; ++b) add_token(std::string(1, static_cast<char>(b)));
    // Merges: " a".." z", letter pairs, "  ", "\n\n", and the UTF-8 lead+continuation
    // pairs of U+00C0..U+00FF and of CJK's E4 B8 prefix, then merges of merges.
    for (char c = 'a'; c <= 'z'; ++c) add_merge(' ', static_cast<std::uint8_t>(c));
    for (char a : std::string("thersaino")) for (char b : std::string("ehrsntio")) add_merge(static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b));
    add_merge(' ', ' ');
    add_merge('\n', '\n');
    for (int c = 0x80; c < 0xC0; ++c) add_merge(0xC3, static_cast<std::uint32_t>(c));
    const std::uint32_t e4b8 = static_cast<std::uint32_t>(offsets.size() - 1);
    add_merge(0xE4, 0xB8);
    for (int c = 0x80; c < 0x90; ++c) add_merge(e4b8, static_cast<std::uint32_t>(c));
    const std::size_t first_level = left.size();
    for (std::size_t r = 26; r < first_level && r < 60; r += 2) add_merge(result[r], result[r + 1]);
    added_base = static_cast<std::uint32_t>(offsets.size() - 1);
    for (const char* s : {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"}) {
      added.push_back(s);
      add_token(s);
    }
  }
};

const FuzzTokenizerData& data() {
  static const FuzzTokenizerData d;
  return d;
}

const linnet::Tokenizer& tokenizer(int variant) {
  static const auto make = [](std::string_view pre, std::string_view norm) {
    const FuzzTokenizerData& d = data();
    linnet::TokenizerSource s;
    s.vocab_bytes = d.bytes;
    s.vocab_offsets = d.offsets;
    s.merge_left = d.left;
    s.merge_right = d.right;
    s.merge_result = d.result;
    const std::uint32_t base = d.added_base;
    for (std::size_t i = 0; i < d.added.size(); ++i)
      s.added_tokens.push_back({base + static_cast<std::uint32_t>(i), d.added[i], true});
    s.endoftext_id = static_cast<std::int32_t>(base);
    s.im_start_id = static_cast<std::int32_t>(base + 1);
    s.im_end_id = s.eos_id = static_cast<std::int32_t>(base + 2);
    s.pre_tokenizer = pre;
    s.normalizer = norm;
    auto t = linnet::Tokenizer::create(s);
    if (!t.ok()) std::abort();  // the fixture itself is broken
    return std::move(t).value();
  };
  static const linnet::Tokenizer qwen35_nfc = make("qwen3.5", "NFC");
  static const linnet::Tokenizer qwen2_nfc = make("qwen2", "NFC");
  static const linnet::Tokenizer qwen35_raw = make("qwen3.5", "none");
  switch (variant % 3) {
    case 0: return qwen35_nfc;
    case 1: return qwen2_nfc;
    default: return qwen35_raw;
  }
}

bool valid_utf8(std::string_view s) { return linnet::utf8::first_invalid(s) == s.size(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* input, std::size_t size) {
  if (size == 0) return 0;
  const int variant = input[0] & 3;
  const bool parse_special = (input[0] & 4) != 0;
  const std::string_view text(reinterpret_cast<const char*>(input + 1), size - 1);
  const linnet::Tokenizer& tok = tokenizer(variant);

  auto ids = tok.encode(text, linnet::EncodeOptions{.parse_special = parse_special});
  if (ids.ok() != valid_utf8(text)) std::abort();
  if (ids.ok()) {
    for (TokenId id : *ids)
      if (id < 0 || static_cast<std::size_t>(id) >= tok.vocab_size()) std::abort();
    auto back = tok.decode(*ids);
    if (!back.ok() || !valid_utf8(*back)) std::abort();
    if (!parse_special) {
      std::string expected(text);
      if (variant % 3 != 2) {
        static const linnet::NfcNormalizer nfc;
        linnet::NfcNormalizer::Scratch scratch;
        if (!nfc.normalize(text, expected, scratch).ok()) std::abort();
      }
      if (*back != expected) std::abort();
    }
    linnet::StreamDecoder stream(tok);
    std::string streamed, piece;
    for (TokenId id : *ids) {
      piece.clear();
      if (!stream.push(id, piece).ok() || !valid_utf8(piece)) std::abort();
      streamed += piece;
    }
    stream.finish(streamed);
    if (streamed != *back) std::abort();
  }

  // The input bytes as token ids (two bytes each), some outside the vocabulary.
  linnet::StreamDecoder stream(tok, linnet::DecodeOptions{.skip_special = (input[0] & 8) != 0});
  std::string piece;
  for (std::size_t i = 1; i + 1 < size; i += 2) {
    const TokenId id = static_cast<TokenId>(input[i] | (input[i + 1] << 8)) % 1200;
    piece.clear();
    const bool pushed = stream.push(id, piece).ok();
    if (pushed != (static_cast<std::size_t>(id) < tok.vocab_size()) || !valid_utf8(piece)) std::abort();
  }
  piece.clear();
  stream.finish(piece);
  if (!valid_utf8(piece)) std::abort();
  return 0;
}
