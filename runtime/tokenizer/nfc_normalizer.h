// NFC normalisation (Unicode canonical composition) through utf8proc, as the Hugging
// Face `NFC` normalizer applies it to each stretch of text between added tokens.
//
// Unicode 9.0, as Hugging Face: its normalizer (the unicode-normalization-alignments
// crate) has Unicode 9.0 tables, utf8proc has 15.1's. To the 9.0 tables a code point
// assigned later (a "barrier": unicode9_assigned.h) has combining class 0 and no
// decomposition and composes with nothing, so it is never reordered and it blocks
// composition: "e" U+1DFA U+0301 stays as it is (utf8proc, where U+1DFA has class 218,
// would compose é), and U+11935 U+11930 does not become U+11938. Barriers are inert
// (below) and never go to utf8proc: the text is NFC'd between them, which is exactly
// 9.0's NFC since nothing reorders or composes across a starter that composes with
// nothing. Between barriers utf8proc gives 9.0's result: for every code point assigned
// in 9.0, the combining class, the canonical decomposition and the composition pairs
// of 15.1 equal 9.0's (Unicode's normalization stability policy; checked against the
// crate's tables by tools/unicode/check_unicode9_tables.py: no difference).
//
// utf8proc is slow (about 10 MB/s), and almost all text is already NFC, so only short
// windows go through it: a window opens at the last "inert" character before a
// character NFC might touch and closes before the next inert one. An inert character
// has combining class 0, is unchanged by NFC on its own, and is never the second
// element of a composition (not a mark, not a Hangul vowel or final jamo), so neither
// reordering nor composition crosses it and the text outside the windows is left as is.
// Every barrier is inert; a window that would open at a barrier opens after it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"

namespace linnet {

class NfcNormalizer {
 public:
  // Builds the table of inert characters of the Basic Multilingual Plane (8 KiB);
  // characters above it are classified through utf8proc when met.
  NfcNormalizer();

  // utf8proc's decompose/compose buffer, caller-owned and reused between calls.
  struct Scratch {
    std::vector<std::int32_t> code_points;
  };

  // Writes NFC(`text`) to `out` (replacing its contents). `text` must be valid UTF-8
  // (kInvalidArgument otherwise).
  Status normalize(std::string_view text, std::string& out, Scratch& scratch) const;

  bool is_inert(std::uint32_t cp) const;

  // True when NFC leaves `text` unchanged for certain: every code point is below
  // U+0300 (no combining marks, no composable pairs, no singleton decompositions).
  static bool trivially_nfc(std::string_view text);

 private:
  static Status normalize_window(std::string_view window, std::string& out, Scratch& scratch);

  std::vector<std::uint64_t> bmp_inert_;  // bit cp of U+0000..U+FFFF
};

}  // namespace linnet
