#include "runtime/chat/stop_condition.h"

namespace linnet {

const char* stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::kNone: return "none";
    case StopReason::kEndOfTurn: return "end_of_turn";
    case StopReason::kEndOfText: return "end_of_text";
    case StopReason::kTokenLimit: return "max_tokens";
  }
  return "none";
}

StopCondition::StopCondition(const Tokenizer& tokenizer, std::uint32_t max_new_tokens)
    : StopCondition(tokenizer.im_end_id(), tokenizer.eos_id(), tokenizer.endoftext_id(), max_new_tokens) {}

StopCondition::StopCondition(TokenId end_of_turn, TokenId eos, TokenId end_of_text, std::uint32_t max_new_tokens)
    : end_of_turn_(end_of_turn), eos_(eos), end_of_text_(end_of_text), max_new_tokens_(max_new_tokens) {}

StopReason StopCondition::update(TokenId generated) {
  ++generated_;
  if (generated >= 0 && (generated == end_of_turn_ || generated == eos_)) return StopReason::kEndOfTurn;
  if (generated >= 0 && generated == end_of_text_) return StopReason::kEndOfText;
  if (max_new_tokens_ > 0 && generated_ >= max_new_tokens_) return StopReason::kTokenLimit;
  return StopReason::kNone;
}

}  // namespace linnet
