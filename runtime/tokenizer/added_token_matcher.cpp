#include "runtime/tokenizer/added_token_matcher.h"

#include <algorithm>

namespace linnet {

AddedTokenMatcher::AddedTokenMatcher(std::vector<Token> tokens) : tokens_(std::move(tokens)) {
  std::erase_if(tokens_, [](const Token& t) { return t.content.empty(); });
  std::stable_sort(tokens_.begin(), tokens_.end(),
                   [](const Token& a, const Token& b) { return a.content.size() > b.content.size(); });
  for (const Token& t : tokens_) first_byte_[static_cast<std::uint8_t>(t.content[0])] = true;
}

AddedTokenMatcher::Match AddedTokenMatcher::find(std::string_view text, std::size_t from,
                                                 bool include_special) const {
  for (std::size_t i = from; i < text.size(); ++i) {
    if (!first_byte_[static_cast<std::uint8_t>(text[i])]) continue;
    const std::string_view rest = text.substr(i);
    for (const Token& t : tokens_) {  // longest first
      if (t.special && !include_special) continue;
      if (rest.starts_with(t.content)) return {i, t.content.size(), t.id};
    }
  }
  return {text.size(), 0, -1};
}

}  // namespace linnet
