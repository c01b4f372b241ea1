// Finds added tokens (<|im_start|>, <think>, ...) in raw text before anything else, as
// the Hugging Face AddedVocabulary does: leftmost match first, the longest token when
// several start at the same byte.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace linnet {

class AddedTokenMatcher {
 public:
  struct Token {
    std::string content;  // non-empty UTF-8
    std::int32_t id = 0;
    bool special = false;
  };
  struct Match {
    std::size_t begin = 0;  // byte offset in the text; text.size() when none
    std::size_t length = 0;
    std::int32_t id = -1;
  };

  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(std::vector<Token> tokens);

  // The first added token in text[from..]; tokens with special=true are skipped when
  // `include_special` is false (their text is then tokenized as ordinary text).
  Match find(std::string_view text, std::size_t from, bool include_special) const;

  const std::vector<Token>& tokens() const { return tokens_; }

 private:
  std::vector<Token> tokens_;           // sorted by length, longest first
  std::array<bool, 256> first_byte_{};  // bytes that start some token
};

}  // namespace linnet
