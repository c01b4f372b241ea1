// Detokenizing a stream of generated ids without ever emitting half a UTF-8 character.
//
// A byte-level BPE token may end in the middle of a character (an emoji is often split
// over two or three tokens). push() appends only whole characters to the output; the
// bytes of a character still incomplete wait in a 4-byte buffer for the next token.
// Ill-formed bytes become U+FFFD, one per maximal ill-formed subpart (the rule of the
// Unicode standard, WHATWG and Rust's String::from_utf8_lossy, which the Hugging Face
// ByteLevel decoder uses). No allocation happens here beyond growing `out`.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/core/result.h"
#include "runtime/tokenizer/tokenizer.h"

namespace linnet {

class StreamDecoder {
 public:
  // `tokenizer` is borrowed and must outlive the decoder.
  explicit StreamDecoder(const Tokenizer& tokenizer, DecodeOptions options = {})
      : tokenizer_(&tokenizer), options_(options) {}

  // Appends the complete characters that `id` finishes to `out`. An id outside the
  // vocabulary is kOutOfRange (and changes nothing).
  Status push(TokenId id, std::string& out);
  // Appends raw bytes (the same rules; used by push and by tests).
  void push_bytes(std::string_view bytes, std::string& out);
  // End of stream: an unfinished character becomes U+FFFD.
  void finish(std::string& out);
  // Bytes waiting for the rest of their character (0..3).
  std::size_t pending() const { return pending_size_; }

 private:
  void push_byte(std::uint8_t b, std::string& out);

  const Tokenizer* tokenizer_;
  DecodeOptions options_;
  std::array<char, 4> pending_{};
  std::size_t pending_size_ = 0;
  std::size_t expected_size_ = 0;  // length of the character being collected
};

}  // namespace linnet
