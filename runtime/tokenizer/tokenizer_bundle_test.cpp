// The tokenizer built from a bundle (qwen35-tiny-a converted by the converter, opened
// by the bundle loader) matches every Hugging Face case, as the one built from
// tokenizer.json does; and the bundle's chat strings render the reference prompt.
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bundle/bundle.h"
#include "chat/chat_prompt.h"
#include "converter/lib/convert.h"
#include "converter/lib/test_checkpoint.h"
#include "tokenizer/tokenizer.h"

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

}  // namespace
}  // namespace linnet
