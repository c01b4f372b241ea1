// The real backend (runtime/session on the tiny reference model): its answers equal the
// session's and classifier's own, directly and through the serial server over a pty;
// cancel, stop strings and model switching.
#include "serve/session_backend.h"

#include <gtest/gtest.h>

#include "serve/testing/pty_client.h"
#include "session/testing/tiny_model.h"

namespace linnet::serve {
namespace {

using testing::Json;
using namespace std::chrono_literals;

constexpr const char* kPolicy = "You are a content moderator. Reply with one label: SAFE, SPAM or ABUSE.";

SessionBackendOptions small_options() {
  SessionBackendOptions o;
  o.session.context_length = 512;
  o.session.threads = 1;
  return o;
}

std::unique_ptr<SessionBackend> open_backend() {
  const std::string path = linnet::testing::tiny_bundle_path();
  auto b = SessionBackend::open(path, "", small_options());
  EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().message());
  return b.ok() ? std::move(b).value() : nullptr;
}

// Greedy generation straight from a Session: the reference the backend must match.
std::string direct_generation(std::string_view prompt, std::uint32_t max_tokens, bool chat = true) {
  auto model = Model::open(linnet::testing::tiny_bundle_path());
  EXPECT_TRUE(model.ok());
  SessionOptions so = small_options().session;
  auto session = Session::create(**model, so);
  EXPECT_TRUE(session.ok());
  auto ids = chat ? (*session)->encode_chat("", prompt) : (*model)->tokenizer().encode(prompt);
  EXPECT_TRUE(ids.ok());
  GenerationOptions g;
  g.max_new_tokens = max_tokens;
  std::string text;
  auto r = (*session)->generate(*ids, g, [&](std::string_view p) {
    text += p;
    return true;
  });
  EXPECT_TRUE(r.ok());
  return text;
}

TEST(SessionBackend, InfoDescribesTheLoadedBundle) {
  auto b = open_backend();
  ASSERT_NE(b, nullptr);
  const BackendInfo i = b->info();
  EXPECT_FALSE(i.model_name.empty());
  EXPECT_EQ(i.model_sha256.size(), 64u);
  EXPECT_EQ(i.context_length, 512u);
  EXPECT_GT(i.weights_bytes, 0u);
  EXPECT_GT(i.planned_bytes, 0u);
  EXPECT_EQ(b->status().model_sha256, i.model_sha256);
}

TEST(SessionBackend, ClassifyEqualsTheClassifier) {
  auto b = open_backend();
  ASSERT_NE(b, nullptr);
  const std::vector<std::string> labels = {"SAFE", "SPAM", "ABUSE"};
  CancelToken cancel;
  auto r = b->classify({kPolicy, "Buy cheap watches now!!! Click here", labels}, cancel);
  ASSERT_TRUE(r.ok()) << r.error().message();

  auto model = Model::open(linnet::testing::tiny_bundle_path());
  ASSERT_TRUE(model.ok());
  auto session = Session::create(**model, small_options().session);
  ASSERT_TRUE(session.ok());
  Classifier classifier;
  auto direct = classifier.classify(**session, {kPolicy, "Buy cheap watches now!!! Click here", labels});
  ASSERT_TRUE(direct.ok());
  ASSERT_EQ(r->labels.size(), 3u);
  double sum = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r->labels[i].label, labels[i]);
    EXPECT_DOUBLE_EQ(r->labels[i].probability, direct->probabilities[i]);
    sum += r->labels[i].probability;
  }
  EXPECT_NEAR(sum, 1.0, 1e-9);
  EXPECT_EQ(r->prompt_tokens, static_cast<std::uint32_t>(direct->prompt_tokens));

  CancelToken cancelled;
  cancelled.cancel();
  auto c = b->classify({kPolicy, "hello", labels}, cancelled);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), ErrorCode::kCancelled);
}

TEST(SessionBackend, GenerateStreamsWhatTheSessionGenerates) {
  auto b = open_backend();
  ASSERT_NE(b, nullptr);
  const std::string expected = direct_generation("What is your refund policy?", 24);
  ASSERT_FALSE(expected.empty());
  std::string text;
  int pieces = 0;
  GenerateOptions o;
  o.max_tokens = 24;
  CancelToken cancel;
  auto r = b->generate("What is your refund policy?", o, [&](std::string_view p) {
    text += p;
    ++pieces;
  }, cancel);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(text, expected);
  EXPECT_EQ(static_cast<std::uint32_t>(pieces), r->generated_tokens);
  EXPECT_EQ(r->sampling, "greedy");
  EXPECT_GT(r->prompt_tokens, 5u);
}

TEST(SessionBackend, StopStringCutsTheTextBeforeIt) {
  auto b = open_backend();
  ASSERT_NE(b, nullptr);
  // Raw text: the tiny model continues it for the whole budget.
  const std::string prompt = "the the the the";
  const std::string full = direct_generation(prompt, 24, /*chat=*/false);
  ASSERT_GE(full.size(), 8u) << full;
  const std::string stop = full.substr(full.size() / 2, 3);
  const std::string before = full.substr(0, full.find(stop));
  GenerateOptions o;
  o.max_tokens = 24;
  o.chat = false;
  o.stop = {stop};
  std::string text;
  CancelToken cancel;
  auto r = b->generate(prompt, o, [&](std::string_view p) { text += p; }, cancel);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stop_reason, StopReason::kStopString);
  EXPECT_EQ(text, before);
  EXPECT_EQ(text.find(stop), std::string::npos);
}

TEST(SessionBackend, CancelStopsWithinOneToken) {
  auto b = open_backend();
  ASSERT_NE(b, nullptr);
  GenerateOptions o;
  o.max_tokens = 200;
  o.chat = false;
  CancelToken cancel;
  std::uint32_t calls = 0;
  auto r = b->generate("the the the the", o, [&](std::string_view) {
    if (++calls == 3) cancel.cancel();
  }, cancel);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stop_reason, StopReason::kCancelled);
  EXPECT_EQ(r->generated_tokens, 3u);
}

TEST(SessionBackend, RefusesAPromptThatDoesNotFit) {
  auto b = open_backend();
  ASSERT_NE(b, nullptr);
  std::string huge;
  for (int i = 0; i < 600; ++i) huge += "word ";
  CancelToken cancel;
  auto r = b->generate(huge, {}, [](std::string_view) {}, cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

TEST(SessionBackend, SwitchModelMovesToTheNewBundleAndSurvivesABadOne) {
  auto b = open_backend();
  ASSERT_NE(b, nullptr);
  const std::string before = b->info().model_sha256;
  ASSERT_TRUE(b->switch_model(linnet::testing::tiny_bundle_path("q8"), "tiny-q8").ok());
  EXPECT_NE(b->info().model_sha256, before);
  EXPECT_EQ(b->info().model_name, "tiny-q8");
  auto bad = b->switch_model("/nonexistent/model.linnet", "nope");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("still serving the previous model"), std::string::npos);
  EXPECT_EQ(b->info().model_name, "tiny-q8");
  CancelToken cancel;
  EXPECT_TRUE(b->classify({kPolicy, "hello there", {"SAFE", "SPAM"}}, cancel).ok());
}

TEST(SessionBackend, OverTheSerialLine) {
  auto b = open_backend();
  ASSERT_NE(b, nullptr);
  testing::PtyServer::Config config;
  config.backend_override = b.get();
  config.with_ota = false;
  testing::PtyServer s(config);
  const std::string expected = direct_generation("How do I reset my password?", 16);
  s.client().send_json({{"id", 1}, {"cmd", "generate"}, {"prompt", "How do I reset my password?"}, {"max_tokens", 16}});
  auto a = s.client().await(1, 60000ms);
  ASSERT_EQ(a.final["ok"], true) << a.final.dump();
  std::string text;
  for (const Json& e : a.events) text += e["text"].get<std::string>();
  EXPECT_EQ(text, expected);
  EXPECT_EQ(a.final["result"]["sampling"], "greedy");

  s.client().send_json({{"id", 2}, {"cmd", "classify"}, {"text", "You are an idiot"},
                        {"labels", {"SAFE", "SPAM", "ABUSE"}}, {"system", kPolicy}});
  auto c = s.client().await(2, 60000ms);
  ASSERT_EQ(c.final["ok"], true) << c.final.dump();
  double sum = 0;
  for (const auto& [k, v] : c.final["result"]["probabilities"].items()) sum += v.get<double>();
  EXPECT_NEAR(sum, 1.0, 1e-9);

  s.client().send_json({{"id", 3}, {"cmd", "info"}});
  auto i = s.client().await(3);
  EXPECT_EQ(i.final["result"]["model"]["sha256"], b->info().model_sha256);
}

// A bundle whose final norm holds a NaN (storage bit rot): the backend refuses to load
// it (the hash check); loaded with the check off, classify and generate over the line
// answer the "numeric" error, never a label, and the server keeps serving.
TEST(SessionBackend, ADamagedBundleIsRefusedAtLoadAndNeverAnswersALabel) {
  const std::string path = linnet::testing::nan_norm_bundle_path();
  ASSERT_FALSE(path.empty());
  auto refused = SessionBackend::open(path, "", small_options());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kVerification) << refused.error().message();

  SessionBackendOptions skip = small_options();
  skip.model.verify_sha256 = false;
  auto b = SessionBackend::open(path, "", skip);
  ASSERT_TRUE(b.ok()) << b.error().message();
  testing::PtyServer::Config config;
  config.backend_override = b->get();
  config.with_ota = false;
  testing::PtyServer s(config);
  s.client().send_json({{"id", 1}, {"cmd", "classify"}, {"text", "You are an idiot"},
                        {"labels", {"SAFE", "SPAM", "ABUSE"}}, {"system", kPolicy}});
  auto c = s.client().await(1, 60000ms);
  EXPECT_EQ(c.final["ok"], false) << c.final.dump();
  EXPECT_EQ(c.final["error"]["code"], "numeric") << c.final.dump();
  EXPECT_FALSE(c.final.contains("result"));
  s.client().send_json({{"id", 2}, {"cmd", "generate"}, {"prompt", "hello"}, {"max_tokens", 4}});
  auto g = s.client().await(2, 60000ms);
  EXPECT_EQ(g.final["error"]["code"], "numeric") << g.final.dump();
  EXPECT_TRUE(g.events.empty());  // not one token
  s.client().send_json({{"id", 3}, {"cmd", "ping"}});
  EXPECT_EQ(s.client().await(3).final["ok"], true);
}

}  // namespace
}  // namespace linnet::serve
