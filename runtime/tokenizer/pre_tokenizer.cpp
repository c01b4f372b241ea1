#include "runtime/tokenizer/pre_tokenizer.h"

#include <utf8proc.h>

#include "runtime/tokenizer/utf8.h"

namespace linnet {
namespace {

std::uint8_t flags_from_utf8proc(std::uint32_t cp) {
  std::uint8_t f = 0;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
      f = PreTokenizer::kLetter;
      break;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
      f = PreTokenizer::kMark;
      break;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      f = PreTokenizer::kNumber;
      break;
    case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
      f = PreTokenizer::kSpace;
      break;
    default:
      break;
  }
  if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x85) f = PreTokenizer::kSpace;
  if (cp == '\r' || cp == '\n') f |= PreTokenizer::kNewline;
  return f;
}

// Lower-case ASCII of a contraction letter, or 0. U+017F (long s) counts as 's'.
char fold_letter(std::string_view text, std::uint32_t offset, std::uint32_t end) {
  const auto c = static_cast<unsigned char>(text[offset]);
  if (c < 0x80) return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (c == 0xC5 && offset + 1 < end && static_cast<unsigned char>(text[offset + 1]) == 0xBF) return 's';
  return 0;
}

}  // namespace

PreTokenizer::PreTokenizer(PreTokenizerKind kind) : kind_(kind), bmp_flags_(0x10000) {
  for (std::uint32_t cp = 0; cp < 0x10000; ++cp) bmp_flags_[cp] = flags_from_utf8proc(cp);
}

std::uint8_t PreTokenizer::classify(std::uint32_t cp) const {
  return cp < 0x10000 ? bmp_flags_[cp] : flags_from_utf8proc(cp);
}

void PreTokenizer::split(std::string_view text, std::vector<CharInfo>& chars,
                         std::vector<PieceRange>& pieces) const {
  // Decode once: one CharInfo per character, plus a sentinel holding text.size().
  chars.clear();
  for (std::size_t i = 0; i < text.size();) {
    const auto offset = static_cast<std::uint32_t>(i);
    const auto b = static_cast<std::uint8_t>(text[i]);
    std::uint32_t cp = b;
    if (b < 0x80) {
      ++i;
    } else if (!utf8::decode(text, i, cp)) {
      cp = 0xFFFD;  // unreachable for valid input; never loop forever on bad input
      ++i;
    }
    chars.push_back({offset, classify(cp)});
  }
  const std::size_t n = chars.size();
  chars.push_back({static_cast<std::uint32_t>(text.size()), 0});

  // Which categories continue a word, and which a punctuation run, for this regex.
  const std::uint8_t word = kind_ == PreTokenizerKind::kQwen35 ? (kLetter | kMark) : kLetter;
  const std::uint8_t not_punct = kind_ == PreTokenizerKind::kQwen35 ? (kSpace | kLetter | kMark | kNumber)
                                                                    : (kSpace | kLetter | kNumber);
  const auto flags = [&](std::size_t k) { return chars[k].flags; };
  const auto is_punct = [&](std::size_t k) { return k < n && (flags(k) & not_punct) == 0; };
  const auto emit = [&](std::size_t from, std::size_t to) {
    pieces.push_back({chars[from].offset, chars[to].offset});
  };

  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t f = flags(i);
    const char c = text[chars[i].offset];

    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if (c == '\'' && i + 1 < n) {
      const char a = fold_letter(text, chars[i + 1].offset, chars[i + 2].offset);
      const char b = i + 2 < n ? fold_letter(text, chars[i + 2].offset, chars[i + 3].offset) : 0;
      if (a == 's' || a == 't' || a == 'm' || a == 'd') {
        emit(i, i + 2);
        i += 2;
        continue;
      }
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
        emit(i, i + 3);
        i += 3;
        continue;
      }
    }

    // [^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+
    std::size_t j = i;
    if ((f & (kNewline | kLetter | kNumber)) == 0 && i + 1 < n && (flags(i + 1) & word)) {
      j = i + 1;
    }
    if (j < n && (flags(j) & word)) {
      while (j < n && (flags(j) & word)) ++j;
      emit(i, j);
      i = j;
      continue;
    }

    // \p{N}
    if (f & kNumber) {
      emit(i, i + 1);
      ++i;
      continue;
    }

    // ' ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*'
    j = (c == ' ' && is_punct(i + 1)) ? i + 1 : i;
    if (is_punct(j)) {
      while (is_punct(j)) ++j;
      while (j < n && (flags(j) & kNewline)) ++j;
      emit(i, j);
      i = j;
      continue;
    }

    // Whitespace: f & kSpace holds here (every other character matched above).
    std::size_t end = i;
    std::size_t last_newline = n;
    while (end < n && (flags(end) & kSpace)) {
      if (flags(end) & kNewline) last_newline = end;
      ++end;
    }
    if (last_newline < n) {
      // \s*[\r\n]+ : through the last newline of the whitespace run.
      j = last_newline + 1;
    } else if (end == n || end - i == 1) {
      // \s+(?!\S) at the end of the text, or \s+ for a single space before a non-space.
      j = end;
    } else {
      // \s+(?!\S) : leave the last space to prefix the following word.
      j = end - 1;
    }
    if (j == i) j = i + 1;  // defensive: always make progress
    emit(i, j);
    i = j;
  }
  chars.pop_back();
}

}  // namespace linnet
