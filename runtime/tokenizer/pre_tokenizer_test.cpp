#include "runtime/tokenizer/pre_tokenizer.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace linnet {
namespace {

std::vector<std::string> split(std::string_view text, PreTokenizerKind kind = PreTokenizerKind::kQwen35) {
  static const PreTokenizer qwen35(PreTokenizerKind::kQwen35);
  static const PreTokenizer qwen2(PreTokenizerKind::kQwen2);
  std::vector<PreTokenizer::CharInfo> chars;
  std::vector<PieceRange> pieces;
  (kind == PreTokenizerKind::kQwen35 ? qwen35 : qwen2).split(text, chars, pieces);
  std::vector<std::string> out;
  for (const auto& p : pieces) out.emplace_back(text.substr(p.begin, p.end - p.begin));
  return out;
}

using V = std::vector<std::string>;

TEST(PreTokenizer, WordsWithLeadingSpace) {
  EXPECT_EQ(split("Hello world"), (V{"Hello", " world"}));
  EXPECT_EQ(split("a\tb"), (V{"a", "\tb"}));
  EXPECT_EQ(split("a\nb"), (V{"a", "\n", "b"}));  // \n never prefixes a word
}

TEST(PreTokenizer, Contractions) {
  EXPECT_EQ(split("don't we'll I'M"), (V{"don", "'t", " we", "'ll", " I", "'M"}));
  EXPECT_EQ(split("'sa"), (V{"'s", "a"}));
  EXPECT_EQ(split("'x"), (V{"'x"}));  // not a contraction: punctuation prefixes the word
}

TEST(PreTokenizer, DigitsOneByOne) {
  EXPECT_EQ(split("x123"), (V{"x", "1", "2", "3"}));
  EXPECT_EQ(split(" 12"), (V{" ", "1", "2"}));
}

TEST(PreTokenizer, PunctuationAndNewlines) {
  EXPECT_EQ(split("hi!!\n\nyo"), (V{"hi", "!!\n\n", "yo"}));
  EXPECT_EQ(split("a !?"), (V{"a", " !?"}));
}

TEST(PreTokenizer, WhitespaceRuns) {
  EXPECT_EQ(split("a   b"), (V{"a", "  ", " b"}));
  EXPECT_EQ(split("a  \n  b"), (V{"a", "  \n", " ", " b"}));
  EXPECT_EQ(split("a   "), (V{"a", "   "}));
  EXPECT_EQ(split(" \xE3\x80\x80x"), (V{" ", "\xE3\x80\x80x"}));  // U+3000 is \s
}

TEST(PreTokenizer, CombiningMarksJoinWordsInQwen35Only) {
  // "e" + U+0301 (a mark that NFC would compose; here raw).
  EXPECT_EQ(split("e\xCC\x81x"), (V{"e\xCC\x81x"}));
  EXPECT_EQ(split("e\xCC\x81x", PreTokenizerKind::kQwen2), (V{"e", "\xCC\x81x"}));
  // Devanagari vowel signs (Mc) stay in the word.
  EXPECT_EQ(split("\xE0\xA4\x95\xE0\xA4\xBF"), (V{"\xE0\xA4\x95\xE0\xA4\xBF"}));
}

TEST(PreTokenizer, ZeroWidthCharactersAreNotSpace) {
  // U+200B (Cf) is neither letter nor space: punctuation-like, it prefixes a word.
  EXPECT_EQ(split("a\xE2\x80\x8B" "b"), (V{"a", "\xE2\x80\x8B" "b"}));
}

TEST(PreTokenizer, CoversTheWholeText) {
  const std::string text = "x \xF0\x9F\x98\x80\xE2\x80\x8D\xF0\x9F\x98\x80 \r\n\t 9\xC2\xBD";
  std::string joined;
  for (const auto& p : split(text)) joined += p;
  EXPECT_EQ(joined, text);
}

}  // namespace
}  // namespace linnet
