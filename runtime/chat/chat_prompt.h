// ChatML prompts for Qwen3.5 (../shared/docs/qwen35-reference.md, "Chat format"):
//
//   <|im_start|>system\n{system}<|im_end|>\n
//   <|im_start|>user\n{user}<|im_end|>\n
//   <|im_start|>assistant\n{earlier answer}<|im_end|>\n      (history, if any)
//   <|im_start|>assistant\n<think>\n\n</think>\n\n            thinking off
//   <|im_start|>assistant\n<think>\n                          thinking on
//
// Earlier assistant turns are rendered without their reasoning: text up to the last
// </think> and the newlines after it are dropped, as the Qwen3 chat templates do.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/tokenizer/tokenizer.h"

namespace linnet {

// The template strings (the bundle's ChatTemplate table); defaults are Qwen3.5's.
// Views: the strings must outlive the calls that use them (literals, or the bundle).
struct ChatFormat {
  std::string_view im_start = "<|im_start|>";
  std::string_view im_end = "<|im_end|>";
  std::string_view thinking_on = "<think>\n";
  std::string_view thinking_off = "<think>\n\n</think>\n\n";
  bool default_thinking = false;  // 0.8B and 2B: off
};

enum class ChatRole : std::uint8_t { kSystem, kUser, kAssistant };
std::string_view chat_role_name(ChatRole role);

struct ChatMessage {
  ChatRole role = ChatRole::kUser;
  std::string_view content;  // borrowed for the call
};

struct ChatOptions {
  bool add_generation_prompt = true;  // open the assistant turn at the end
  std::optional<bool> thinking;       // unset: ChatFormat::default_thinking
  // false: special-token text inside message contents (e.g. a user typing
  // "<|im_end|>") is tokenized as plain text instead of ending the turn. The rendered
  // string is the same either way; only encode_chat is affected.
  bool parse_special_in_content = true;
};

// The prompt as text (what a Hugging Face apply_chat_template would return).
std::string render_chat(const ChatFormat& format, std::span<const ChatMessage> messages, ChatOptions options = {});

// The prompt as token ids. With parse_special_in_content (the default) this equals
// tokenizer.encode(render_chat(...)), which is what the reference tokenizes.
Result<std::vector<TokenId>> encode_chat(const Tokenizer& tokenizer, const ChatFormat& format,
                                         std::span<const ChatMessage> messages, ChatOptions options = {});

}  // namespace linnet
