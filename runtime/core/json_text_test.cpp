#include "runtime/core/json_text.h"

#include <gtest/gtest.h>

namespace linnet {
namespace {

// Expected literals written by hand, as bytes: UTF-8 passes through unescaped.
TEST(JsonQuote, NonAsciiTextPassesThroughAsUtf8) {
  EXPECT_EQ(json_quote("caf\xC3\xA9"), "\"caf\xC3\xA9\"");                          // café
  EXPECT_EQ(json_quote("\xE6\x97\xA5\xE6\x9C\xAC"), "\"\xE6\x97\xA5\xE6\x9C\xAC\"");  // 日本
  EXPECT_EQ(json_quote("\xF0\x9F\x99\x82"), "\"\xF0\x9F\x99\x82\"");                 // U+1F642
}

TEST(JsonQuote, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(json_quote(""), "\"\"");
  EXPECT_EQ(json_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_quote("line\nnext\ttab"), "\"line\\nnext\\ttab\"");
  EXPECT_EQ(json_quote(std::string_view("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(json_quote(std::string_view("a\0b", 3)), "\"a\\u0000b\"");
}

TEST(JsonQuote, InvalidUtf8BecomesReplacementCharacter) {
  // A lone continuation byte and a truncated 2-byte sequence: U+FFFD (EF BF BD) each.
  EXPECT_EQ(json_quote("a\x80z"), "\"a\xEF\xBF\xBDz\"");
  EXPECT_EQ(json_quote("\xC3"), "\"\xEF\xBF\xBD\"");
}

}  // namespace
}  // namespace linnet
