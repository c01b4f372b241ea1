// The tokenizer built from a bundle (qwen35-tiny-a converted by the converter, opened
// by the bundle loader) matches every Hugging Face case, as the one built from
// tokenizer.json does; and the bundle's chat strings render the reference prompt.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/bundle/bundle.h"
#include "runtime/chat/chat_prompt.h"
#include "converter/lib/convert.h"
#include "converter/lib/test_checkpoint.h"
#include "runtime/tokenizer/tokenizer.h"

namespace linnet {
namespace {

using convert::testing::kTinyDir;

TEST(TokenizerFromBundle, MatchesEveryHuggingFaceCase) {
  convert::testing::TempDir dir;
  convert::ConvertOptions options;
  options.hf_dir = kTinyDir;
  options.output = dir.file("tiny.linnet");
  options.quant = convert::QuantMode::kF32;
  options.created_unix_seconds = 1700000000;
  options.converter_version = "test";
  auto report = convert::convert_checkpoint(options);
  ASSERT_TRUE(report.ok()) << report.error().message();
  auto bundle = Bundle::open(options.output);
  ASSERT_TRUE(bundle.ok()) << bundle.error().message();
  auto tokenizer = Tokenizer::create(bundle->tokenizer());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().message();
  EXPECT_EQ(tokenizer->vocab_size(), 1000u);
  EXPECT_EQ(tokenizer->eos_id(), 995);
  EXPECT_EQ(tokenizer->endoftext_id(), 993);
  EXPECT_EQ(tokenizer->im_start_id(), 994);

  std::ifstream in(kTinyDir + "/tokenizer_cases.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto root = nlohmann::json::parse(ss.str(), nullptr, false);
  ASSERT_FALSE(root.is_discarded());
  int cases = 0, failures = 0;
  for (const auto& c : root["cases"]) {
    ++cases;
    const std::string text = c["text"].get<std::string>();
    auto ids = tokenizer->encode(text);
    ASSERT_TRUE(ids.ok()) << ids.error().message();
    if (*ids != c["ids"].get<std::vector<TokenId>>() && ++failures <= 5)
      ADD_FAILURE() << nlohmann::json(text).dump() << " -> " << nlohmann::json(*ids).dump();
    auto back = tokenizer->decode(*ids);
    ASSERT_TRUE(back.ok());
  }
  EXPECT_GE(cases, 1500);
  EXPECT_EQ(failures, 0);

  // The bundle's ChatTemplate strings give the reference chat prompt.
  const ChatTemplateStrings& t = bundle->chat_template();
  ChatFormat format{t.im_start, t.im_end, t.thinking_on, t.thinking_off, t.default_thinking};
  const ChatMessage messages[] = {{ChatRole::kSystem, "S"}, {ChatRole::kUser, "U"}};
  EXPECT_EQ(render_chat(format, messages, ChatOptions{.thinking = false}),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
            "<think>\n\n</think>\n\n");
}

// The normalizer and pre-tokenizer recorded in the bundle are the ones applied: the same
// checkpoint with `"normalizer": null` in tokenizer.json leaves a decomposed "e" + U+0301
// as two pieces, where the NFC bundle composes it to one "\u00e9".
TEST(TokenizerFromBundle, AppliesTheBundlesNormalizer) {
  convert::testing::TempDir dir;
  const std::string hf = dir.file("hf");
  std::filesystem::create_directories(hf);
  for (const char* f : {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                        "tokenizer_config.json"}) {
    std::filesystem::copy_file(kTinyDir + "/" + f, hf + "/" + f);
  }
  std::ifstream in(hf + "/tokenizer.json");
  auto json = nlohmann::json::parse(in);
  in.close();
  ASSERT_EQ(json["normalizer"]["type"], "NFC");
  json["normalizer"] = nullptr;
  std::ofstream(hf + "/tokenizer.json", std::ios::trunc) << json.dump();

  const auto open_tokenizer = [&](const std::string& from, const std::string& out, Result<Bundle>& bundle) {
    convert::ConvertOptions options;
    options.hf_dir = from;
    options.output = dir.file(out);
    options.quant = convert::QuantMode::kF32;
    options.converter_version = "test";
    auto report = convert::convert_checkpoint(options);
    EXPECT_TRUE(report.ok()) << report.error().message();
    bundle = Bundle::open(options.output);
    EXPECT_TRUE(bundle.ok()) << bundle.error().message();
  };
  Result<Bundle> nfc_bundle = Error(ErrorCode::kNotFound, "not opened");
  Result<Bundle> raw_bundle = Error(ErrorCode::kNotFound, "not opened");
  open_tokenizer(kTinyDir, "nfc.linnet", nfc_bundle);
  open_tokenizer(hf, "raw.linnet", raw_bundle);
  ASSERT_TRUE(nfc_bundle.ok() && raw_bundle.ok());
  EXPECT_EQ(nfc_bundle->tokenizer().normalizer, "NFC");
  EXPECT_EQ(nfc_bundle->tokenizer().pre_tokenizer, "qwen3.5");
  EXPECT_EQ(raw_bundle->tokenizer().normalizer, "none");

  auto nfc = Tokenizer::create(nfc_bundle->tokenizer());
  auto raw = Tokenizer::create(raw_bundle->tokenizer());
  ASSERT_TRUE(nfc.ok() && raw.ok());
  const std::string decomposed = "caf" "e\xcc\x81";  // "cafe" + COMBINING ACUTE ACCENT
  auto composed_ids = nfc->encode(decomposed);
  auto raw_ids = raw->encode(decomposed);
  auto precomposed_ids = nfc->encode("caf\xc3\xa9");
  ASSERT_TRUE(composed_ids.ok() && raw_ids.ok() && precomposed_ids.ok());
  EXPECT_EQ(*composed_ids, *precomposed_ids);
  EXPECT_NE(*raw_ids, *composed_ids);
  auto back = raw->decode(*raw_ids);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, decomposed);  // nothing normalised away
}

}  // namespace
}  // namespace linnet
