// NFC normalisation (Unicode canonical composition) through utf8proc, as the Hugging
// Face `NFC` normalizer applies it to each piece of text between added tokens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace linnet {

class NfcNormalizer {
 public:
  // Writes NFC(`text`) to `out` (replacing its contents). `text` must be valid UTF-8
  // (checked; kInvalidArgument otherwise). Reuses this object's scratch, so one
  // normalizer serves many calls without allocating once the scratch has grown.
  Status normalize(std::string_view text, std::string& out);

  // True when NFC leaves `text` unchanged for certain: every code point is below
  // U+0300 (no combining marks, no composable pairs, no singleton decompositions).
  static bool trivially_nfc(std::string_view text);

 private:
  std::vector<std::int32_t> code_points_;  // utf8proc's decompose/compose buffer
};

}  // namespace linnet
