#include "runtime/serve/utf8_joiner.h"

#include <gtest/gtest.h>

namespace linnet::serve {
namespace {

TEST(Utf8Joiner, HoldsBackAnIncompleteSequenceUntilItCompletes) {
  Utf8Joiner j;
  EXPECT_EQ(j.push("ab\xF0\x9F"), "ab");
  EXPECT_EQ(j.push("\x98"), "");
  EXPECT_EQ(j.push("\x80!"), "\xF0\x9F\x98\x80!");
  EXPECT_EQ(j.flush(), "");
}

TEST(Utf8Joiner, PassesCompleteTextAndFlushesTheRest) {
  Utf8Joiner j;
  EXPECT_EQ(j.push("h\xC3\xA9llo"), "h\xC3\xA9llo");
  EXPECT_EQ(j.push("\xE2\x82"), "");
  EXPECT_EQ(j.flush(), "\xE2\x82");
  // Bytes that can never complete are passed on, not held forever.
  EXPECT_EQ(j.push("\x80\x80\x80\x80"), "\x80\x80\x80\x80");
  EXPECT_EQ(j.push("\xFF" "a"), "\xFF" "a");
}

}  // namespace
}  // namespace linnet::serve
