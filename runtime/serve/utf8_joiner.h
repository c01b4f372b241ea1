// Token pieces from a byte-level tokenizer can end inside a UTF-8 sequence (an emoji is
// often two or three tokens). Each token line must carry valid UTF-8, so the server
// holds back an incomplete tail until the next piece completes it.
#pragma once

#include <string>
#include <string_view>

namespace linnet::serve {

class Utf8Joiner {
 public:
  // Appends `piece` and returns the text that is ready: everything except a trailing
  // incomplete UTF-8 sequence. Bytes that can never be valid are passed on (the
  // response writer replaces them with U+FFFD).
  std::string push(std::string_view piece);

  // Returns whatever is held back (at the end of a generation).
  std::string flush();

 private:
  std::string pending_;
};

}  // namespace linnet::serve
