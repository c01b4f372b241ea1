#include "runtime/chat/chat_prompt.h"

namespace linnet {
namespace {

// An earlier assistant answer without its reasoning block.
std::string_view visible_answer(std::string_view content) {
  const std::size_t end_think = content.rfind("</think>");
  if (end_think == std::string_view::npos) return content;
  content.remove_prefix(end_think + 8);
  while (!content.empty() && content.front() == '\n') content.remove_prefix(1);
  return content;
}

std::string_view message_text(const ChatMessage& m) {
  return m.role == ChatRole::kAssistant ? visible_answer(m.content) : m.content;
}

std::string_view assistant_opening(const ChatFormat& format, const ChatOptions& options) {
  return options.thinking.value_or(format.default_thinking) ? format.thinking_on : format.thinking_off;
}

}  // namespace

std::string_view chat_role_name(ChatRole role) {
  switch (role) {
    case ChatRole::kSystem: return "system";
    case ChatRole::kUser: return "user";
    case ChatRole::kAssistant: return "assistant";
  }
  return "user";
}

std::string render_chat(const ChatFormat& format, std::span<const ChatMessage> messages, ChatOptions options) {
  std::string out;
  for (const ChatMessage& m : messages) {
    out += format.im_start;
    out += chat_role_name(m.role);
    out += '\n';
    out += message_text(m);
    out += format.im_end;
    out += '\n';
  }
  if (options.add_generation_prompt) {
    out += format.im_start;
    out += "assistant\n";
    out += assistant_opening(format, options);
  }
  return out;
}

Result<std::vector<TokenId>> encode_chat(const Tokenizer& tokenizer, const ChatFormat& format,
                                         std::span<const ChatMessage> messages, ChatOptions options) {
  if (options.parse_special_in_content) return tokenizer.encode(render_chat(format, messages, options));
  // Template text with special tokens parsed; "role\n{content}" (the whole stretch
  // between <|im_start|> and <|im_end|>, so pre-tokenization sees the same text as in
  // the rendered string) without.
  std::vector<TokenId> ids;
  std::string stretch;
  for (const ChatMessage& m : messages) {
    LINNET_TRY(tokenizer.encode_append(format.im_start, ids));
    stretch.assign(chat_role_name(m.role));
    stretch += '\n';
    stretch += message_text(m);
    LINNET_TRY(tokenizer.encode_append(stretch, ids, EncodeOptions{.parse_special = false}));
    stretch.assign(format.im_end);
    stretch += '\n';
    LINNET_TRY(tokenizer.encode_append(stretch, ids));
  }
  if (options.add_generation_prompt) {
    stretch.assign(format.im_start);
    stretch += "assistant\n";
    stretch += assistant_opening(format, options);
    LINNET_TRY(tokenizer.encode_append(stretch, ids));
  }
  return ids;
}

}  // namespace linnet
