#include "converter/lib/tokenizer_json.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace linnet::convert {
namespace {

const std::string kTinyDir = std::string(LINNET_SHARED_DIR) + "/models/qwen35-tiny-a";

std::string token_bytes(const TokenizerData& d, std::uint32_t id) {
  return std::string(d.vocab_bytes.begin() + d.vocab_offsets[id],
                     d.vocab_bytes.begin() + d.vocab_offsets[id + 1]);
}

TEST(TokenizerJson, ReadsTinyCheckpoint) {
  auto data = read_tokenizer_files(kTinyDir);
  ASSERT_TRUE(data.ok()) << data.error().message();
  EXPECT_EQ(data->vocab_count(), 1000u);  // 993 model tokens + 7 added
  EXPECT_EQ(data->merge_left.size(), 737u);
  EXPECT_EQ(data->normalizer, "NFC");
  EXPECT_EQ(data->pre_tokenizer, "qwen3.5");
  EXPECT_EQ(data->endoftext_id, 993);
  EXPECT_EQ(data->pad_id, 993);
  EXPECT_EQ(data->im_start_id, 994);
  EXPECT_EQ(data->im_end_id, 995);
  EXPECT_EQ(data->eos_id, 995);
  EXPECT_EQ(data->think_id, 996);
  EXPECT_EQ(data->end_think_id, 997);
  EXPECT_EQ(data->added_tokens.size(), 7u);
  // The byte-level map is undone: "!" is id 0, "Ġ" (id 220 in GPT-2 order) is a space,
  // "Ċ" (198) a newline.
  EXPECT_EQ(token_bytes(*data, 0), "!");
  EXPECT_EQ(token_bytes(*data, 220), " ");
  EXPECT_EQ(token_bytes(*data, 198), "\n");
  EXPECT_EQ(token_bytes(*data, 995), "<|im_end|>");
  // Merge 0 is "t h" -> "th".
  EXPECT_EQ(token_bytes(*data, data->merge_left[0]), "t");
  EXPECT_EQ(token_bytes(*data, data->merge_right[0]), "h");
  EXPECT_EQ(token_bytes(*data, data->merge_result[0]), "th");

  const TokenizerSource view = data->view();
  EXPECT_EQ(view.vocab_offsets.size(), 1001u);
  EXPECT_EQ(view.merge_result.size(), 737u);
  EXPECT_EQ(view.added_tokens[2].content, "<|im_end|>");
  EXPECT_EQ(view.pre_tokenizer, "qwen3.5");
}

// A minimal valid tokenizer.json with the given merges JSON.
std::string mini_tokenizer(const std::string& merges, const std::string& model_type = "BPE") {
  return R"({"normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
    "decoder": {"type": "ByteLevel"},
    "added_tokens": [{"id": 4, "content": "<|endoftext|>", "special": true},
                     {"id": 5, "content": "<|im_end|>", "special": true}],
    "model": {"type": ")" + model_type + R"(", "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3},
              "merges": )" + merges + "}}";
}

TEST(TokenizerJson, MergesAsStringsOrPairs) {
  auto strings = parse_tokenizer_json(mini_tokenizer(R"(["a b"])"), "", "mini");
  auto pairs = parse_tokenizer_json(mini_tokenizer(R"([["a", "b"]])"), "", "mini");
  ASSERT_TRUE(strings.ok()) << strings.error().message();
  ASSERT_TRUE(pairs.ok()) << pairs.error().message();
  EXPECT_EQ(strings->merge_result, std::vector<std::uint32_t>{2});
  EXPECT_EQ(pairs->merge_left, std::vector<std::uint32_t>{0});
  EXPECT_EQ(pairs->merge_right, std::vector<std::uint32_t>{1});
  EXPECT_EQ(pairs->merge_result, std::vector<std::uint32_t>{2});
  EXPECT_EQ(token_bytes(*pairs, 3), " ");
  EXPECT_EQ(pairs->eos_id, 5);
  EXPECT_EQ(pairs->pad_id, 4);
  EXPECT_EQ(pairs->im_start_id, -1);
}

TEST(TokenizerJson, ErrorsNameTheFile) {
  auto malformed = parse_tokenizer_json("{\"model\": [", "", "dir");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code(), ErrorCode::kCorrupt);
  EXPECT_NE(malformed.error().message().find("dir/tokenizer.json"), std::string::npos);
  EXPECT_NE(malformed.error().message().find("malformed JSON"), std::string::npos);

  auto wordpiece = parse_tokenizer_json(mini_tokenizer(R"(["a b"])", "WordPiece"), "", "dir");
  ASSERT_FALSE(wordpiece.ok());
  EXPECT_EQ(wordpiece.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(wordpiece.error().message().find("WordPiece"), std::string::npos);

  auto unknown = parse_tokenizer_json(mini_tokenizer(R"(["a c"])"), "", "dir");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("dir/tokenizer.json"), std::string::npos);
  EXPECT_NE(unknown.error().message().find("right token is not in the vocabulary"), std::string::npos)
      << unknown.error().message();

  auto bad_config = parse_tokenizer_json(mini_tokenizer(R"(["a b"])"), "{oops", "dir");
  ASSERT_FALSE(bad_config.ok());
  EXPECT_NE(bad_config.error().message().find("dir/tokenizer_config.json"), std::string::npos);

  auto bad_type = parse_tokenizer_json(mini_tokenizer(R"(["a b"])"), R"({"eos_token": 5})", "dir");
  ASSERT_TRUE(bad_type.ok());  // a non-string eos_token is ignored: the Qwen default applies
  EXPECT_EQ(bad_type->eos_id, 5);

  auto missing = read_tokenizer_files("/nonexistent-dir");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message().find("/nonexistent-dir/tokenizer.json"), std::string::npos);
}

}  // namespace
}  // namespace linnet::convert
