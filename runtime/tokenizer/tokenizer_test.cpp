// Golden test: every case of ../shared/models/qwen35-tiny-a/tokenizer_cases.json (ids
// from the Hugging Face tokenizers library) must come out exactly.
#include "runtime/tokenizer/tokenizer.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "converter/lib/tokenizer_json.h"
#include "runtime/tokenizer/nfc_normalizer.h"

namespace linnet {
namespace {

const std::string kTinyDir = std::string(LINNET_SHARED_DIR) + "/models/qwen35-tiny-a";

struct Case {
  std::string text;
  std::vector<TokenId> ids;
};

std::vector<Case> load_cases() {
  std::ifstream in(kTinyDir + "/tokenizer_cases.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto root = nlohmann::json::parse(ss.str(), nullptr, false);
  std::vector<Case> cases;
  if (root.is_discarded()) return cases;
  for (const auto& c : root["cases"]) cases.push_back({c["text"].get<std::string>(), c["ids"].get<std::vector<TokenId>>()});
  return cases;
}

std::string escaped(const std::string& s) { return nlohmann::json(s).dump(); }

std::string ids_string(const std::vector<TokenId>& ids) { return nlohmann::json(ids).dump(); }

class TokenizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto data = convert::read_tokenizer_files(kTinyDir);
    ASSERT_TRUE(data.ok()) << data.error().message();
    data_ = new convert::TokenizerData(std::move(data).value());
    auto tok = Tokenizer::create(data_->view());
    ASSERT_TRUE(tok.ok()) << tok.error().message();
    tokenizer_ = new Tokenizer(std::move(tok).value());
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    delete data_;
  }
  static convert::TokenizerData* data_;
  static Tokenizer* tokenizer_;
};
convert::TokenizerData* TokenizerTest::data_ = nullptr;
Tokenizer* TokenizerTest::tokenizer_ = nullptr;

TEST_F(TokenizerTest, MatchesEveryHuggingFaceCase) {
  const auto cases = load_cases();
  ASSERT_GE(cases.size(), 1500u);
  int failures = 0;
  for (const Case& c : cases) {
    auto ids = tokenizer_->encode(c.text);
    ASSERT_TRUE(ids.ok()) << escaped(c.text) << ": " << ids.error().message();
    if (*ids != c.ids) {
      if (++failures <= 10)
        ADD_FAILURE() << "text " << escaped(c.text) << "\n  expected " << ids_string(c.ids) << "\n  got      "
                      << ids_string(*ids);
    }
  }
  EXPECT_EQ(failures, 0) << "of " << cases.size() << " cases";
}

TEST_F(TokenizerTest, DecodeRoundTripsToNfcText) {
  NfcNormalizer nfc;
  NfcNormalizer::Scratch scratch;
  std::string expected;
  for (const Case& c : load_cases()) {
    auto text = tokenizer_->decode(c.ids);
    ASSERT_TRUE(text.ok()) << text.error().message();
    ASSERT_TRUE(nfc.normalize(c.text, expected, scratch).ok());
    EXPECT_EQ(*text, expected) << escaped(c.text);
  }
}

// NFC as Hugging Face's Unicode 9.0 tables: text whose only marks follow a code point
// assigned after 9.0 is already NFC, so it tokenizes exactly as without a normalizer.
TEST_F(TokenizerTest, CodePointsAfterUnicode9BlockComposition) {
  convert::TokenizerData raw_data = *data_;
  raw_data.normalizer = "none";
  auto raw = Tokenizer::create(raw_data.view());
  ASSERT_TRUE(raw.ok()) << raw.error().message();
  const auto ids = [](const Tokenizer& t, std::string_view text) {
    auto r = t.encode(text);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<TokenId>{};
  };
  // "e" U+1DFA U+0301 and "x" U+0301 U+1DFA: no é, no reordering (Unicode 15.1 would do both).
  const std::string kept = "e\u1DFA\u0301 x\u0301\u1DFA \U00011935\U00011930";
  EXPECT_EQ(ids(*tokenizer_, kept), ids(*raw, kept));
  EXPECT_EQ(*tokenizer_->decode(ids(*tokenizer_, kept)), kept);
  // The normalizer is on: "e" U+0301 tokenizes as "é".
  EXPECT_EQ(ids(*tokenizer_, "e\u0301"), ids(*raw, "\u00E9"));
  EXPECT_NE(ids(*raw, "e\u0301"), ids(*raw, "\u00E9"));
}

TEST_F(TokenizerTest, SpecialTokensMatchedFirstUnlessDisabled) {
  auto ids = tokenizer_->encode("a<|im_end|>b<think>");
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 4u);
  EXPECT_EQ((*ids)[1], 995);
  EXPECT_EQ((*ids)[3], 996);
  auto plain = tokenizer_->encode("a<|im_end|>b", EncodeOptions{.parse_special = false});
  ASSERT_TRUE(plain.ok());
  EXPECT_GT(plain->size(), 3u);
  for (TokenId id : *plain) EXPECT_LT(id, 993);
  EXPECT_EQ(*tokenizer_->decode(*plain), "a<|im_end|>b");
  // Skipping special tokens when decoding.
  EXPECT_EQ(*tokenizer_->decode(*ids, DecodeOptions{.skip_special = true}), "ab");
}

TEST_F(TokenizerTest, SpecialIds) {
  EXPECT_EQ(tokenizer_->eos_id(), 995);
  EXPECT_EQ(tokenizer_->im_end_id(), 995);
  EXPECT_EQ(tokenizer_->endoftext_id(), 993);
  EXPECT_EQ(tokenizer_->im_start_id(), 994);
  EXPECT_EQ(tokenizer_->think_id(), 996);
  EXPECT_EQ(tokenizer_->end_think_id(), 997);
  EXPECT_EQ(tokenizer_->vocab_size(), 1000u);
  EXPECT_TRUE(tokenizer_->is_special(995));
  EXPECT_FALSE(tokenizer_->is_special(5));
}

TEST_F(TokenizerTest, RejectsInvalidInput) {
  auto bad = tokenizer_->encode(std::string("ok\xC3(", 4));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("byte 2"), std::string::npos) << bad.error().message();
  auto surrogate = tokenizer_->encode("\xED\xA0\x80");
  EXPECT_FALSE(surrogate.ok());
  const std::vector<TokenId> out_of_range = {5, 1000};
  auto text = tokenizer_->decode(out_of_range);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code(), ErrorCode::kOutOfRange);
}

TEST_F(TokenizerTest, LongRunsStayFast) {
  // One piece of 200k identical letters and one of 200k spaces: O(n log n) merging.
  const std::string letters(200000, 'a');
  auto ids = tokenizer_->encode(letters);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*tokenizer_->decode(*ids), letters);
  const std::string spaces(200000, ' ');
  auto sids = tokenizer_->encode(spaces + "x");
  ASSERT_TRUE(sids.ok());
  EXPECT_EQ(*tokenizer_->decode(*sids), spaces + "x");
}

TEST(TokenizerCreate, RejectsBadSources) {
  auto data = convert::read_tokenizer_files(kTinyDir);
  ASSERT_TRUE(data.ok());
  TokenizerSource src = data->view();
  src.pre_tokenizer = "gpt4";
  auto t = Tokenizer::create(src);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code(), ErrorCode::kUnsupported);

  src = data->view();
  src.merge_right = src.merge_right.first(3);
  EXPECT_FALSE(Tokenizer::create(src).ok());

  src = data->view();
  src.eos_id = 5000;
  EXPECT_FALSE(Tokenizer::create(src).ok());

  src = data->view();
  src.vocab_offsets = src.vocab_offsets.first(1);
  EXPECT_FALSE(Tokenizer::create(src).ok());
}

}  // namespace
}  // namespace linnet
