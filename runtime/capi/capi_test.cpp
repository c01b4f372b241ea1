// The C API's contracts: statuses and messages for bad calls, buffer sizing, and that it
// computes what the C++ session computes.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "linnet/linnet.h"
#include "session/testing/tiny_model.h"

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

}  // namespace
