// The Qwen pre-tokenizer: the split regex of ../shared/docs/qwen35-reference.md,
// implemented by hand over Unicode general categories from utf8proc (no regex library):
//
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)            contractions (case-insensitive)
//   | [^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+        a word, with one leading non-letter (" word")
//   | \p{N}                                   one digit / number character
//   | ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*          punctuation/symbol runs, then newlines
//   | \s*[\r\n]+                              whitespace up to the last newline of the run
//   | \s+(?!\S)                               whitespace not followed by non-space
//   | \s+                                     any other whitespace
//
// Qwen2's regex is the same without \p{M}. Alternation is leftmost-first (Oniguruma,
// which the Hugging Face tokenizers library uses); every position matches one
// alternative, so the "Isolated" split yields exactly the matches, in order.
// \s is Unicode White_Space (U+0009..U+000D, U+0085, and Zs/Zl/Zp: U+0020, U+00A0,
// U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000); U+200B and U+FEFF
// (Cf) are not whitespace. Case-insensitive 's also matches 'ſ (U+017F folds to s).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace linnet {

enum class PreTokenizerKind : std::uint8_t { kQwen35, kQwen2 };

// One piece of the split: text bytes [begin, end).
struct PieceRange {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

class PreTokenizer {
 public:
  // Builds the category table for the Basic Multilingual Plane (64 KiB); code points
  // above it are looked up in utf8proc directly.
  explicit PreTokenizer(PreTokenizerKind kind);

  // Splits `text` (valid UTF-8, at most 4 GiB) and appends its pieces to `pieces`.
  // `chars` is caller-owned scratch, reused between calls.
  struct CharInfo {
    std::uint32_t offset;  // byte offset of the character in text
    std::uint8_t flags;    // kLetter | kMark | ...
  };
  void split(std::string_view text, std::vector<CharInfo>& chars, std::vector<PieceRange>& pieces) const;

  static constexpr std::uint8_t kLetter = 1;   // \p{L}
  static constexpr std::uint8_t kMark = 2;     // \p{M}
  static constexpr std::uint8_t kNumber = 4;   // \p{N}
  static constexpr std::uint8_t kSpace = 8;    // \s
  static constexpr std::uint8_t kNewline = 16; // \r or \n

  std::uint8_t classify(std::uint32_t cp) const;

 private:
  PreTokenizerKind kind_;
  std::vector<std::uint8_t> bmp_flags_;  // flags of U+0000..U+FFFF
};

}  // namespace linnet
