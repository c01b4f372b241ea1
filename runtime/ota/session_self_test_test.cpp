// The self-test runner on the tiny reference model. Expected answers come from
// ../shared/models/qwen35-tiny-a/reference.json (greedy cases gen0 and gen1) and
// reference.safetensors (gen0.output_ids), never from Linnet itself.
#include "runtime/ota/session_self_test.h"

#include <gtest/gtest.h>

#include "converter/lib/safetensors.h"
#include "runtime/session/testing/tiny_model.h"

namespace linnet::ota {
namespace {

constexpr char kModerator[] = "You are a content moderator. Reply with one label: SAFE, SPAM or ABUSE.";
constexpr char kRouter[] = "You are a request router. Reply with one queue: BILLING, TECH, SALES or OTHER.";

TEST(SessionSelfTestTest, LabelMatchesTheReferenceAnswer) {
  const std::string bundle = linnet::testing::tiny_bundle_path("f32");
  ASSERT_FALSE(bundle.empty());
  EXPECT_TRUE(run_session_self_test(bundle, SelfTest{"Eve you are a worthless idiot", "ABUSE", {}, kModerator}).ok());
  EXPECT_TRUE(run_session_self_test(bundle, SelfTest{"error code E42 when I connect the phone", "TECH", {}, kRouter}).ok());
  auto wrong = run_session_self_test(bundle, SelfTest{"Eve you are a worthless idiot", "SAFE", {}, kModerator});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message(), "answered 'ABUSE', expected 'SAFE'");
}

TEST(SessionSelfTestTest, TokenIdsMatchTheReferenceGeneration) {
  const std::string bundle = linnet::testing::tiny_bundle_path("f32");
  ASSERT_FALSE(bundle.empty());
  auto ref = convert::SafetensorsFile::open(linnet::testing::tiny_checkpoint_dir() + "/reference.safetensors");
  ASSERT_TRUE(ref.ok()) << ref.error().message();
  auto ids = ref->read_i64("gen0.output_ids");
  ASSERT_TRUE(ids.ok()) << ids.error().message();
  ASSERT_FALSE(ids->empty());
  SelfTest test{"Eve you are a worthless idiot", "", {}, kModerator};
  for (std::int64_t id : *ids) test.expected_token_ids.push_back(static_cast<std::uint32_t>(id));
  auto passed = run_session_self_test(bundle, test);
  EXPECT_TRUE(passed.ok()) << passed.error().message();
  test.expected_token_ids[0] += 1;
  auto failed = run_session_self_test(bundle, test);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message().find("answer token 0 is"), std::string::npos) << failed.error().message();
}

}  // namespace
}  // namespace linnet::ota
