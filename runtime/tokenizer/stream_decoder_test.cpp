#include "runtime/tokenizer/stream_decoder.h"

#include <string>

#include <gtest/gtest.h>

#include "converter/lib/tokenizer_json.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/tokenizer/utf8.h"

namespace linnet {
namespace {

const std::string kTinyDir = std::string(LINNET_SHARED_DIR) + "/models/qwen35-tiny-a";

bool valid(const std::string& s) { return utf8::first_invalid(s) == s.size(); }

class StreamDecoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto data = convert::read_tokenizer_files(kTinyDir);
    ASSERT_TRUE(data.ok()) << data.error().message();
    data_ = std::move(data).value();
    auto tok = Tokenizer::create(data_.view());
    ASSERT_TRUE(tok.ok()) << tok.error().message();
    tokenizer_.emplace(std::move(tok).value());
  }
  convert::TokenizerData data_;
  std::optional<Tokenizer> tokenizer_;
};

TEST_F(StreamDecoderTest, NeverEmitsHalfACharacter) {
  // Emoji and CJK split into several byte tokens by this small vocabulary.
  const std::string text = "Hi \xF0\x9F\x98\x80\xE2\x80\x8D\xF0\x9F\x94\xA5 \xE4\xB8\x96\xE7\x95\x8C \xD0\xB2!";
  auto ids = tokenizer_->encode(text);
  ASSERT_TRUE(ids.ok());
  ASSERT_GT(ids->size(), 8u);
  StreamDecoder decoder(*tokenizer_);
  std::string out;
  bool held_back = false;
  for (TokenId id : *ids) {
    std::string piece;
    ASSERT_TRUE(decoder.push(id, piece).ok());
    EXPECT_TRUE(valid(piece)) << "token " << id;
    if (decoder.pending() > 0) held_back = true;
    out += piece;
    EXPECT_TRUE(valid(out));
  }
  decoder.finish(out);
  EXPECT_TRUE(held_back) << "the test text should split a character across tokens";
  EXPECT_EQ(out, text);
}

TEST_F(StreamDecoderTest, IllFormedBytesBecomeReplacementCharacters) {
  StreamDecoder d(*tokenizer_);
  std::string out;
  d.push_bytes("a\x80" "b", out);                 // stray continuation
  d.push_bytes("\xE4\xB8", out);                  // incomplete ...
  EXPECT_EQ(d.pending(), 2u);
  d.push_bytes("c", out);                         // ... interrupted: one U+FFFD
  d.push_bytes("\xED\xA0\x80", out);              // surrogate: ED then two strays
  d.push_bytes("\xF0\x9F", out);                  // unfinished at the end
  d.finish(out);
  EXPECT_EQ(out, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(valid(out));
}

TEST_F(StreamDecoderTest, ByteByByteEqualsWhole) {
  const std::string text = "\xCE\xB5\xE0\xA4\xB8\xF0\x9F\x98\x80z";
  StreamDecoder d(*tokenizer_);
  std::string out;
  for (char c : text) {
    std::string piece;
    d.push_bytes(std::string_view(&c, 1), piece);
    EXPECT_TRUE(valid(piece));
    out += piece;
  }
  d.finish(out);
  EXPECT_EQ(out, text);
}

}  // namespace
}  // namespace linnet
