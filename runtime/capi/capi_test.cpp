// The C API's contracts: statuses and messages for bad calls, buffer sizing, and that it
// computes what the C++ session computes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "linnet/linnet.h"
#include "runtime/session/testing/tiny_model.h"

namespace {

class CApi : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = linnet::testing::tiny_bundle_path("f32");
    ASSERT_FALSE(path.empty());
    ASSERT_EQ(linnet_model_open(path.c_str(), nullptr, &model_, &error_), LINNET_OK) << error_.message;
    linnet_session_options options;
    linnet_session_options_init(&options);
    options.context_length = 256;
    ASSERT_EQ(linnet_session_create(model_, &options, &session_, &error_), LINNET_OK) << error_.message;
  }
  void TearDown() override {
    linnet_session_destroy(session_);
    linnet_model_close(model_);
  }
  linnet_model* model_ = nullptr;
  linnet_session* session_ = nullptr;
  linnet_error error_{};
};

TEST(CApiNoModel, MissingFileAndNullArguments) {
  linnet_error error{};
  linnet_model* model = reinterpret_cast<linnet_model*>(1);
  EXPECT_EQ(linnet_model_open("/no/such/file.linnet", nullptr, &model, &error), LINNET_NOT_FOUND);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::strstr(error.message, "/no/such/file.linnet"), nullptr);
  EXPECT_EQ(linnet_model_open(nullptr, nullptr, &model, nullptr), LINNET_INVALID_ARGUMENT);  // error may be NULL
  EXPECT_STREQ(linnet_status_name(LINNET_CORRUPT), "corrupt input");
  linnet_model_close(nullptr);
  linnet_session_destroy(nullptr);
}

// Every option outside its range is refused with a message that names it.
TEST_F(CApi, SessionOptionsOutOfRangeAreRefusedByName) {
  struct Case {
    const char* field;
    void (*set)(linnet_session_options&);
  };
  const Case cases[] = {
      {"context_length", [](linnet_session_options& o) { o.context_length = -1; }},
      {"threads", [](linnet_session_options& o) { o.threads = -5; }},
      {"threads", [](linnet_session_options& o) { o.threads = 257; }},
      {"prefix_cache_entries", [](linnet_session_options& o) { o.prefix_cache_entries = -2; }},
      {"prefix_cache_entries", [](linnet_session_options& o) { o.prefix_cache_entries = 65; }},
      {"classify_score_end", [](linnet_session_options& o) { o.classify_score_end = 7; }},
      {"kv_cache", [](linnet_session_options& o) { o.kv_cache = 3; }},
      {"kv_cache", [](linnet_session_options& o) { o.kv_cache = -1; }},
  };
  for (const Case& c : cases) {
    linnet_session_options options;
    linnet_session_options_init(&options);
    c.set(options);
    linnet_session* session = reinterpret_cast<linnet_session*>(1);
    EXPECT_EQ(linnet_session_create(model_, &options, &session, &error_), LINNET_INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(session, nullptr);
    EXPECT_NE(std::strstr(error_.message, c.field), nullptr) << c.field << ": " << error_.message;
  }
}

TEST_F(CApi, SamplingAndChatValuesOutOfRangeAreRefusedByName) {
  struct Case {
    const char* field;
    void (*set)(linnet_sampling&);
  };
  const Case cases[] = {
      {"temperature", [](linnet_sampling& s) { s.temperature = -1.0f; }},
      {"temperature", [](linnet_sampling& s) { s.temperature = NAN; }},
      {"top_k", [](linnet_sampling& s) { s.top_k = -5; }},
      {"top_p", [](linnet_sampling& s) { s.top_p = 0.0f; }},
      {"top_p", [](linnet_sampling& s) { s.top_p = 1.5f; }},
      {"min_p", [](linnet_sampling& s) { s.min_p = -0.1f; }},
      {"min_p", [](linnet_sampling& s) { s.min_p = 1.0f; }},
      {"repetition_penalty", [](linnet_sampling& s) { s.repetition_penalty = 0.0f; }},
      {"repetition_penalty", [](linnet_sampling& s) { s.repetition_penalty = INFINITY; }},
  };
  for (const Case& c : cases) {
    linnet_sampling sampling;
    linnet_sampling_init(model_, &sampling);
    c.set(sampling);
    EXPECT_EQ(linnet_session_set_sampling(session_, &sampling, &error_), LINNET_INVALID_ARGUMENT) << c.field;
    EXPECT_NE(std::strstr(error_.message, c.field), nullptr) << c.field << ": " << error_.message;
    EXPECT_EQ(linnet_session_generate(session_, "hello", &sampling, 4, nullptr, nullptr, nullptr, &error_),
              LINNET_INVALID_ARGUMENT)
        << c.field;
    EXPECT_NE(std::strstr(error_.message, c.field), nullptr) << c.field << ": " << error_.message;
  }
  EXPECT_EQ(linnet_session_generate(session_, "hello", nullptr, -1, nullptr, nullptr, nullptr, &error_),
            LINNET_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(error_.message, "max_tokens"), nullptr) << error_.message;
  char text[256];
  size_t length = 0;
  for (int thinking : {-2, 2, 7}) {
    EXPECT_EQ(linnet_format_chat(model_, nullptr, "hi", thinking, text, sizeof text, &length, &error_),
              LINNET_INVALID_ARGUMENT);
    EXPECT_NE(std::strstr(error_.message, "thinking"), nullptr) << error_.message;
  }
  EXPECT_EQ(linnet_format_chat(model_, nullptr, "hi", -1, text, sizeof text, &length, &error_), LINNET_OK);
  linnet_model_options model_options;
  linnet_model_options_init(&model_options);
  model_options.skip_verify = 2;
  linnet_model* model = reinterpret_cast<linnet_model*>(1);
  EXPECT_EQ(linnet_model_open(linnet::testing::tiny_bundle_path("f32").c_str(), &model_options, &model, &error_),
            LINNET_INVALID_ARGUMENT);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::strstr(error_.message, "skip_verify"), nullptr) << error_.message;
}

// A bundle with a NaN in its final norm: refused at open by the hash check (the default);
// opened with skip_verify, classify and generate return LINNET_NUMERIC and no label.
TEST(CApiDamagedModel, HashCheckAtOpenAndNumericErrors) {
  const std::string path = linnet::testing::nan_norm_bundle_path();
  ASSERT_FALSE(path.empty());
  linnet_error error{};
  linnet_model* model = nullptr;
  EXPECT_EQ(linnet_model_open(path.c_str(), nullptr, &model, &error), LINNET_VERIFICATION) << error.message;
  EXPECT_EQ(model, nullptr);
  linnet_model_options options;
  linnet_model_options_init(&options);
  EXPECT_EQ(linnet_model_open(path.c_str(), &options, &model, &error), LINNET_VERIFICATION) << error.message;
  options.skip_verify = 1;
  ASSERT_EQ(linnet_model_open(path.c_str(), &options, &model, &error), LINNET_OK) << error.message;
  linnet_session_options session_options;
  linnet_session_options_init(&session_options);
  session_options.context_length = 256;
  linnet_session* session = nullptr;
  ASSERT_EQ(linnet_session_create(model, &session_options, &session, &error), LINNET_OK) << error.message;
  const char* labels[] = {"SAFE", "SPAM", "ABUSE"};
  double p[3] = {-1, -1, -1};
  linnet_classification c{};
  c.top_label = -1;
  EXPECT_EQ(linnet_session_classify(session, "You are a moderator.", "hello", labels, 3, p, &c, &error),
            LINNET_NUMERIC);
  EXPECT_NE(std::strstr(error.message, "nan"), nullptr) << error.message;
  EXPECT_EQ(c.top_label, -1);  // nothing written
  EXPECT_EQ(p[0], -1);
  EXPECT_EQ(linnet_session_generate(session, "hello", nullptr, 4, nullptr, nullptr, nullptr, &error), LINNET_NUMERIC);
  EXPECT_STREQ(linnet_status_name(LINNET_NUMERIC), "non-finite numbers");
  linnet_session_destroy(session);
  linnet_model_close(model);
}

TEST_F(CApi, TokenizeReportsTheSizeNeeded) {
  const char* text = "Eve you are a worthless idiot";
  size_t count = 0;
  EXPECT_EQ(linnet_tokenize(model_, text, std::strlen(text), nullptr, 0, &count, &error_), LINNET_OUT_OF_RANGE);
  EXPECT_EQ(count, 7u);
  std::vector<linnet_token> ids(count);
  ASSERT_EQ(linnet_tokenize(model_, text, std::strlen(text), ids.data(), ids.size(), &count, &error_), LINNET_OK);
  char small[4];
  size_t length = 0;
  EXPECT_EQ(linnet_detokenize(model_, ids.data(), ids.size(), small, sizeof small, &length, &error_),
            LINNET_OUT_OF_RANGE);
  EXPECT_EQ(length, std::strlen(text));
  EXPECT_STREQ(small, "Eve");  // truncated, NUL-terminated
}

TEST_F(CApi, CallsOutOfOrderAreErrors) {
  const float* logits = nullptr;
  size_t vocab = 0;
  EXPECT_EQ(linnet_session_logits(session_, &logits, &vocab, &error_), LINNET_FAILED_PRECONDITION);
  linnet_token token = 0;
  EXPECT_EQ(linnet_session_sample(session_, &token, &error_), LINNET_FAILED_PRECONDITION);
  EXPECT_EQ(linnet_session_decode(session_, 5000, &error_), LINNET_INVALID_ARGUMENT);  // outside the vocabulary
  linnet_sampling bad{};
  bad.top_p = 2.0f;
  EXPECT_NE(linnet_session_set_sampling(session_, &bad, &error_), LINNET_OK);
  EXPECT_GT(std::strlen(error_.message), 0u);
}

TEST_F(CApi, ClassifyAgreesWithGreedyGeneration) {
  const char* policy = "You are a request router. Reply with one queue: BILLING, TECH, SALES or OTHER.";
  const char* labels[] = {"BILLING", "TECH", "SALES", "OTHER"};
  double p[4] = {};
  linnet_classification c{};
  ASSERT_EQ(linnet_session_classify(session_, policy, "error code E42 when I connect the phone", labels, 4, p, &c,
                                    &error_),
            LINNET_OK)
      << error_.message;
  EXPECT_EQ(c.top_label, 1);
  EXPECT_NEAR(p[0] + p[1] + p[2] + p[3], 1.0, 1e-9);

  char prompt[512];
  size_t length = 0;
  ASSERT_EQ(linnet_format_chat(model_, policy, "error code E42 when I connect the phone", 0, prompt, sizeof prompt,
                               &length, &error_),
            LINNET_OK);
  std::string answer;
  auto sink = [](const char* piece, size_t n, void* user) {
    static_cast<std::string*>(user)->append(piece, n);
    return 0;
  };
  ASSERT_EQ(linnet_session_generate(session_, prompt, nullptr, 8, sink, &answer, nullptr, &error_), LINNET_OK);
  EXPECT_EQ(answer, "TECH");
}

// The boundary on a real path: a C++ caller's piece callback that throws. The exception
// does not cross the C interface; the call reports it, and the session serves on.
TEST_F(CApi, AThrowingCallbackIsAnInternalErrorAndTheSessionServesOn) {
  auto throwing = [](const char*, size_t, void*) -> int { throw std::runtime_error("callback failed"); };
  EXPECT_EQ(linnet_session_generate(session_, "hello", nullptr, 4, throwing, nullptr, nullptr, &error_),
            LINNET_INTERNAL);
  EXPECT_STREQ(error_.message, "linnet_session_generate: callback failed");
  linnet_session_reset(session_);
  std::string answer;
  auto sink = [](const char* piece, size_t n, void* user) {
    static_cast<std::string*>(user)->append(piece, n);
    return 0;
  };
  linnet_generation_stats stats{};
  ASSERT_EQ(linnet_session_generate(session_, "hello", nullptr, 4, sink, &answer, &stats, &error_), LINNET_OK)
      << error_.message;
  EXPECT_GT(stats.prompt_tokens, 0);
}

}  // namespace
