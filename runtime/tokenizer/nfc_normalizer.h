// NFC normalisation (Unicode canonical composition) through utf8proc, as the Hugging
// Face `NFC` normalizer applies it to each stretch of text between added tokens.
//
// utf8proc is slow (about 10 MB/s), and almost all text is already NFC, so only short
// windows go through it: a window opens at the last "inert" character before a
// character NFC might touch and closes before the next inert one. An inert character
// has combining class 0, is unchanged by NFC on its own, and is never the second
// element of a composition (not a mark, not a Hangul vowel or final jamo), so neither
// reordering nor composition crosses it and the text outside the windows is left as is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

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
