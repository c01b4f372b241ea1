// Golden tests of the session layer and the `linnet` commands on qwen35-tiny-a, against the
// reference outputs of Hugging Face transformers (reference.safetensors / reference.json):
//   - chat prompts encoded by the session equal the reference input ids;
//   - Session::score (the library call behind `linnet score`) equals the reference logits
//     of every position within 5e-3 with identical argmax, in one prefill and with the
//     decode path from a position K on (--decode-from), including 636 + 64 of the long case;
//   - greedy generation reproduces the reference generations (ABUSE, TECH);
//   - classification probabilities equal the softmax of the reference logits over the labels;
//   - the binary: `linnet score` writes a safetensors file with the same logits, `linnet run`
//     answers ABUSE to the moderation prompt, `linnet classify --jsonl` survives broken lines.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "converter/lib/safetensors.h"
#include "runtime/session/classifier.h"
#include "runtime/session/session.h"
#include "runtime/session/testing/tiny_model.h"
#include "tests/golden/checkpoint_weights.h"
#include "tests/golden/golden_util.h"

namespace linnet::testing {
namespace {

constexpr const char* kModeration = "You are a content moderator. Reply with one label: SAFE, SPAM or ABUSE.";
constexpr const char* kRouting = "You are a request router. Reply with one queue: BILLING, TECH, SALES or OTHER.";
constexpr float kTolerance = 5e-3f;

class GoldenSession : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto ref = ReferenceOutputs::open(tiny_checkpoint_dir());
    ASSERT_TRUE(ref.ok()) << ref.error().message();
    ref_ = new ReferenceOutputs(std::move(ref).value());
  }
  static void TearDownTestSuite() { delete ref_; }

  void SetUp() override {
    const Model* model = tiny_model("f32");
    ASSERT_NE(model, nullptr);
    SessionOptions options;
    options.executor.context_length = 1024;
    options.executor.threads = 2;
    auto session = Session::create(*model, options);
    ASSERT_TRUE(session.ok()) << session.error().message();
    session_ = std::move(session).value();
    V_ = model->vocab_size();
  }

  // Compares rows [first, first + rows) of `logits` [*, V] with reference rows.
  static void expect_rows_match(std::span<const float> reference, std::span<const float> logits, int V,
                                const std::string& what) {
    ASSERT_EQ(reference.size(), logits.size()) << what;
    LogitsComparison c;
    c.add(reference, logits, V);
    EXPECT_LT(c.max_abs, kTolerance) << what;
    EXPECT_EQ(c.argmax_matches, c.rows) << what;
    std::printf("%-36s rows %4d  max abs %.2e  argmax %d/%d\n", what.c_str(), c.rows, static_cast<double>(c.max_abs),
                c.argmax_matches, c.rows);
  }

  static ReferenceOutputs* ref_;
  std::unique_ptr<Session> session_;
  int V_ = 0;
};
ReferenceOutputs* GoldenSession::ref_ = nullptr;

TEST_F(GoldenSession, ChatPromptsEncodeToTheReferenceIds) {
  struct Case {
    const char* ids;
    const char* system;
    const char* user;
  };
  const Case cases[] = {
      {"prompt0.input_ids", kModeration, "thanks for fixing my printer!"},
      {"prompt1.input_ids", kRouting, "I was charged twice for my router"},
      {"prompt3.input_ids", kModeration, "WIN a FREE camera now!!! click http://bit.ly/77"},
      {"gen0.input_ids", kModeration, "Eve you are a worthless idiot"},
      {"gen1.input_ids", kRouting, "error code E42 when I connect the phone"},
  };
  for (const Case& c : cases) {
    auto ids = session_->encode_chat(c.system, c.user, false);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, ref_->ids(c.ids)) << c.ids;
  }
}

TEST_F(GoldenSession, ScoreMatchesReferenceLogitsInOnePrefill) {
  for (int p = 0; p < 4; ++p) {
    const std::string name = "prompt" + std::to_string(p);
    const auto ids = ref_->ids(name + ".input_ids");
    std::vector<float> logits(ids.size() * static_cast<std::size_t>(V_));
    ASSERT_TRUE(session_->score(ids, static_cast<int>(ids.size()), logits).ok());
    expect_rows_match(ref_->floats(name + ".logits"), logits, V_, name + " prefill");
  }
}

TEST_F(GoldenSession, ScoreMatchesReferenceLogitsThroughTheDecodePath) {
  for (int p = 0; p < 4; ++p) {
    const std::string name = "prompt" + std::to_string(p);
    const auto ids = ref_->ids(name + ".input_ids");
    for (int k : {0, static_cast<int>(ids.size()) / 2}) {
      std::vector<float> logits(ids.size() * static_cast<std::size_t>(V_));
      ASSERT_TRUE(session_->score(ids, k, logits).ok());
      expect_rows_match(ref_->floats(name + ".logits"), logits, V_, name + " decode from " + std::to_string(k));
    }
  }
}

TEST_F(GoldenSession, LongPromptPrefillThenDecodeMatchesTail) {
  const auto ids = ref_->ids("long.input_ids");
  ASSERT_EQ(ids.size(), 700u);
  const auto tail = ref_->floats("long.logits_tail");
  const std::size_t V = static_cast<std::size_t>(V_);
  for (int k : {700, 636}) {
    std::vector<float> logits(ids.size() * V);
    ASSERT_TRUE(session_->score(ids, k, logits).ok());
    expect_rows_match(tail, std::span<const float>(logits).subspan(636 * V), V_,
                      "long, decode from " + std::to_string(k));
  }
}

TEST_F(GoldenSession, GreedyGenerationReproducesTheReference) {
  for (int g = 0; g < 2; ++g) {
    const std::string name = "gen" + std::to_string(g);
    const auto prompt = ref_->ids(name + ".input_ids");
    const auto expected = ref_->ids(name + ".output_ids");
    const auto step_logits = ref_->floats(name + ".step_logits");
    GenerationOptions options;
    options.max_new_tokens = 24;
    std::string text;
    auto result = session_->generate(prompt, options, [&](std::string_view piece) {
      text.append(piece);
      return true;
    });
    ASSERT_TRUE(result.ok()) << result.error().message();
    // The reference output ends with <|im_end|>, which ends generation and is not text.
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(expected.back(), session_->model().tokenizer().im_end_id());
    EXPECT_EQ(result->stop, GenerationStop::kEndOfTurn);
    EXPECT_EQ(result->generated_tokens, static_cast<int>(expected.size()) - 1);
    auto decoded = session_->model().tokenizer().decode(std::span<const TokenId>(expected).first(expected.size() - 1));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(text, *decoded);
    EXPECT_EQ(text, g == 0 ? "ABUSE" : "TECH");
    // The last step's logits (those that chose <|im_end|>) are still in the session.
    const std::size_t V = static_cast<std::size_t>(V_);
    const auto last = std::span<const float>(step_logits).subspan((expected.size() - 1) * V, V);
    expect_rows_match(last, session_->logits(), V_, name + " last step");
  }
}

// P(label) = softmax over the labels' first-token logits at the last prompt position, from
// the reference logits; the classifier must give the same.
TEST_F(GoldenSession, ClassifierProbabilitiesMatchReferenceLogits) {
  struct Case {
    const char* logits;
    const char* system;
    const char* user;
    std::vector<std::string> labels;
    const char* top;
  };
  const Case cases[] = {
      {"prompt0.logits", kModeration, "thanks for fixing my printer!", {"SAFE", "SPAM", "ABUSE"}, "SAFE"},
      {"prompt1.logits", kRouting, "I was charged twice for my router", {"BILLING", "TECH", "SALES", "OTHER"}, "BILLING"},
      {"prompt3.logits", kModeration, "WIN a FREE camera now!!! click http://bit.ly/77", {"SAFE", "SPAM", "ABUSE"}, "SPAM"},
  };
  Classifier classifier;
  for (const Case& c : cases) {
    const auto all = ref_->floats(c.logits);
    const std::size_t V = static_cast<std::size_t>(V_);
    const auto last = std::span<const float>(all).subspan(all.size() - V, V);
    std::vector<double> expected;
    for (const std::string& label : c.labels) {
      auto ids = session_->model().tokenizer().encode(label);
      ASSERT_TRUE(ids.ok());
      ASSERT_EQ(ids->size(), 1u);
      expected.push_back(static_cast<double>(last[static_cast<std::size_t>((*ids)[0])]));
    }
    std::vector<double> p(expected.size());
    normalise_scores(expected, p);
    for (int round = 0; round < 2; ++round) {  // cold, then from the prefix cache
      auto r = classifier.classify(*session_, {c.system, c.user, c.labels});
      ASSERT_TRUE(r.ok()) << r.error().message();
      if (round == 1) {
        EXPECT_TRUE(r->prefix_cache_hit);
      }
      EXPECT_EQ(c.labels[r->top], c.top) << c.user;
      for (std::size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(r->probabilities[i], p[i], 1e-3) << c.user;
    }
  }
}

// ---- the binary -------------------------------------------------------------------------

std::string run_command(const std::string& command, int& status) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    status = -1;
    return out;
  }
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  status = ::pclose(pipe);
  return out;
}

class GoldenCli : public GoldenSession {
 protected:
  void SetUp() override {
    GoldenSession::SetUp();
    bundle_ = tiny_bundle_path("f32");
    ASSERT_FALSE(bundle_.empty());
    dir_ = std::filesystem::temp_directory_path() / ("linnet-golden-cli-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string linnet() const { return LINNET_CLI_PATH; }
  std::string bundle_;
  std::filesystem::path dir_;
};

TEST_F(GoldenCli, ScoreWritesReferenceLogits) {
  for (const int decode_from : {-1, 7}) {
    const auto ids = ref_->ids("prompt1.input_ids");
    std::string list;
    for (TokenId id : ids) list += (list.empty() ? "" : ",") + std::to_string(id);
    const std::string out = (dir_ / "logits.safetensors").string();
    std::string cmd = linnet() + " score " + bundle_ + " --ids " + list + " -o " + out + " --threads 1";
    if (decode_from >= 0) cmd += " --decode-from " + std::to_string(decode_from);
    int status = 0;
    run_command(cmd + " 2>&1", status);
    ASSERT_EQ(status, 0) << cmd;
    auto file = convert::SafetensorsFile::open(out);
    ASSERT_TRUE(file.ok()) << file.error().message();
    const convert::StTensor* t = file->find("logits");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->shape, (std::vector<std::int64_t>{static_cast<std::int64_t>(ids.size()), V_}));
    auto logits = file->read_f32("logits");
    ASSERT_TRUE(logits.ok());
    expect_rows_match(ref_->floats("prompt1.logits"), *logits, V_,
                      "linnet score --decode-from " + std::to_string(decode_from));
  }
}

// With each KV cache type the same greedy answer; an unknown type is a usage error.
TEST_F(GoldenCli, RunAnswersAbuseToTheModerationPrompt) {
  for (const char* kv : {"", " --kv-cache int8", " --kv-cache f32"}) {
    int status = 0;
    const std::string out = run_command(linnet() + " run " + bundle_ +
                                            " --chat --no-thinking --system '" + kModeration +
                                            "' --prompt 'Eve you are a worthless idiot' --max-tokens 24" + kv,
                                        status);
    EXPECT_EQ(status, 0) << kv;
    EXPECT_EQ(out, "ABUSE\n") << kv;
  }
  int status = 0;
  const std::string out =
      run_command(linnet() + " run " + bundle_ + " --prompt hi --max-tokens 1 --kv-cache f8 2>&1", status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << out;
  EXPECT_NE(out.find("--kv-cache f16|int8|f32"), std::string::npos) << out;
}

// `linnet info --json --verify` describes the bundle as the checkpoint's config.json does
// (read here independently), and a flipped weight byte fails --verify with the reason.
TEST_F(GoldenCli, InfoDescribesTheBundleAndVerifiesIt) {
  std::ifstream config_file(tiny_model_dir() + "/config.json");
  const auto config_root = nlohmann::json::parse(config_file);
  const auto& config = config_root.contains("text_config") ? config_root["text_config"] : config_root;

  int status = 0;
  const std::string out = run_command(linnet() + " info " + bundle_ + " --json --verify", status);
  ASSERT_EQ(status, 0) << out;
  const auto info = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(info.is_discarded()) << out.substr(0, 500);
  EXPECT_EQ(info["file_bytes"], std::filesystem::file_size(bundle_));
  EXPECT_EQ(info["sha256_verified"], true);
  EXPECT_EQ(info["config"]["hidden_size"], config["hidden_size"]);
  EXPECT_EQ(info["config"]["num_layers"], config["num_hidden_layers"]);
  EXPECT_EQ(info["config"]["vocab_size"], config["vocab_size"]);
  EXPECT_EQ(info["config"]["num_attention_heads"], config["num_attention_heads"]);
  EXPECT_EQ(info["config"]["num_key_value_heads"], config["num_key_value_heads"]);
  EXPECT_EQ(info["config"]["layer_types"], config["layer_types"]);
  EXPECT_EQ(info["provenance"]["quantization"], "f32");
  EXPECT_TRUE(info["memory"].is_object());

  const std::filesystem::path tampered = dir_ / "tampered.linnet";
  std::filesystem::copy_file(bundle_, tampered);
  {
    std::fstream f(tampered, std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(std::filesystem::file_size(tampered) - 100);  // inside the weights
    f.seekg(at);
    char c = 0;
    f.get(c);
    f.seekp(at);
    f.put(static_cast<char>(c ^ 0x10));
  }
  const std::string refused = run_command(linnet() + " info " + tampered.string() + " --verify 2>&1", status);
  EXPECT_NE(status, 0);
  EXPECT_NE(refused.find("SHA-256 mismatch"), std::string::npos) << refused;
  // Without --verify the structure is still valid: the flip is only seen by the hash.
  run_command(linnet() + " info " + tampered.string() + " > /dev/null 2>&1", status);
  EXPECT_EQ(status, 0);
}

TEST_F(GoldenCli, ClassifyJsonlSurvivesBrokenLines) {
  const std::string input = (dir_ / "requests.jsonl").string();
  {
    FILE* f = std::fopen(input.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("{\"id\": 1, \"text\": \"Eve you are a worthless idiot\", \"expected\": \"ABUSE\"}\n"
               "{\"id\": 2, \"text\": \"unterminated\n"
               "[1, 2, 3]\n"
               "{\"id\": 3}\n"
               "{\"id\": 4, \"text\": \"hello\", \"labels\": []}\n"
               "\n"
               "{\"id\": 5, \"text\": 42}\n"
               "\xff\xfe not utf-8 \xc3\n",
               f);
    const std::string huge = "{\"id\": 99, \"text\": \"" + std::string(3u << 20, 'x') + "\"}\n";  // 3 MiB
    std::fputs(huge.c_str(), f);
    std::fputs("{\"id\": 6, \"text\": \"WIN a FREE camera now!!! click http://bit.ly/77\", \"expected\": \"SPAM\"}\n",
               f);
    std::fclose(f);
  }
  int status = 0;
  const std::string out = run_command(linnet() + " classify " + bundle_ + " --labels SAFE,SPAM,ABUSE --system '" +
                                          kModeration + "' --jsonl < " + input + " 2>/dev/null",
                                      status);
  EXPECT_EQ(status, 0);
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < out.size();) {
    const std::size_t nl = out.find('\n', start);
    lines.push_back(out.substr(start, nl - start));
    start = nl == std::string::npos ? out.size() : nl + 1;
  }
  ASSERT_EQ(lines.size(), 9u) << out.substr(0, 2000);
  EXPECT_NE(lines[0].find("\"label\":\"ABUSE\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("\"correct\":true"), std::string::npos) << lines[0];
  for (std::size_t i = 1; i < 8; ++i) EXPECT_NE(lines[i].find("\"error\""), std::string::npos) << lines[i].substr(0, 200);
  EXPECT_NE(lines[7].find("longer than"), std::string::npos) << lines[7].substr(0, 200);
  EXPECT_NE(lines[8].find("\"label\":\"SPAM\""), std::string::npos) << lines[8];
  EXPECT_NE(lines[8].find("\"id\":6"), std::string::npos) << lines[8];
}

}  // namespace
}  // namespace linnet::testing
