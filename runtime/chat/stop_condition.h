// When generation ends: at <|im_end|> (the end of the assistant turn, the model's eos),
// at <|endoftext|>, or after a number of new tokens.
#pragma once

#include <cstdint>

#include "runtime/tokenizer/tokenizer.h"

namespace linnet {

enum class StopReason : std::uint8_t {
  kNone = 0,    // keep going
  kEndOfTurn,   // <|im_end|> (or the tokenizer's eos id)
  kEndOfText,   // <|endoftext|>
  kTokenLimit,  // max_new_tokens reached
};

const char* stop_reason_name(StopReason reason);

class StopCondition {
 public:
  // Stop ids from the tokenizer (eos, im_end, endoftext; a missing one is -1 and never
  // matches). max_new_tokens 0 means no limit.
  StopCondition(const Tokenizer& tokenizer, std::uint32_t max_new_tokens);
  StopCondition(TokenId end_of_turn, TokenId eos, TokenId end_of_text, std::uint32_t max_new_tokens);

  // Call once per generated token, in order. The stop token itself is counted and is
  // the last token of the output (it is not text to show).
  StopReason update(TokenId generated);

  std::uint32_t generated() const { return generated_; }
  void reset() { generated_ = 0; }

 private:
  TokenId end_of_turn_;
  TokenId eos_;
  TokenId end_of_text_;
  std::uint32_t max_new_tokens_;
  std::uint32_t generated_ = 0;
};

}  // namespace linnet
