// The real backend (runtime/session on the tiny reference model): its answers equal the
// session's and classifier's own, directly and through the serial server over a pty;
// cancel, stop strings and model switching.
#include "runtime/serve/session_backend.h"

#include <gtest/gtest.h>

#include "runtime/serve/testing/pty_client.h"
#include "runtime/session/testing/tiny_model.h"

namespace linnet::serve {
namespace {

using testing::Json;
using namespace std::chrono_literals;

constexpr const char* kPolicy = "You are a content moderator. Reply with one label: SAFE, SPAM or ABUSE.";

SessionBackendOptions small_options() {
  SessionBackendOptions o;
  o.session.executor.context_length = 512;
  o.session.executor.threads = 1;
  return o;
}

std::unique_ptr<SessionBackend> open_backend() {
  const std::string path = linnet::testing::tiny_bundle_path();
  auto b = SessionBackend::open(path, "", small_options());
  EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().message());
  return b.ok() ? std::move(b).value() : nullptr;
}

// The bundle's generation defaults as sampler options, with `temperature` and `seed`.
SamplerOptions bundle_sampling(float temperature, std::uint64_t seed) {
  auto model = Model::open(linnet::testing::tiny_bundle_path());
  EXPECT_TRUE(model.ok());
  const GenerationDefaults& d = (*model)->bundle().generation_defaults();
  return SamplerOptions{.temperature = temperature,
                        .top_k = static_cast<std::uint32_t>(d.top_k),
                        .top_p = d.top_p,
                        .min_p = d.min_p,
                        .repetition_penalty = d.repetition_penalty,
                        .seed = seed};
}

// Generation straight from a Session (greedy unless `sampling` says otherwise): the
// reference the backend must match.
std::string direct_generation(std::string_view prompt, std::uint32_t max_tokens, bool chat = true,
                              SamplerOptions sampling = {.temperature = 0.0f}) {
  auto model = Model::open(linnet::testing::tiny_bundle_path());
  EXPECT_TRUE(model.ok());
  SessionOptions so = small_options().session;
  auto session = Session::create(**model, so);
  EXPECT_TRUE(session.ok());
  auto ids = chat ? (*session)->encode_chat("", prompt) : (*model)->tokenizer().encode(prompt);
  EXPECT_TRUE(ids.ok());
  GenerationOptions g;
  g.max_new_tokens = max_tokens;
  g.sampling = sampling;
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
  o.temperature = 0.0f;
  CancelToken cancel;
  auto r = b->generate("What is your refund policy?", o, [&](std::string_view p) {
    text += p;
    ++pieces;
  }, cancel);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(text, expected);
  EXPECT_EQ(static_cast<std::uint32_t>(pieces), r->generated_tokens);
  EXPECT_TRUE(r->sampling.greedy);
  EXPECT_GT(r->prompt_tokens, 5u);
}

std::string generate_text(SessionBackend& b, std::string_view prompt, const GenerateOptions& o,
                          GenerateResult* result = nullptr) {
  std::string text;
  CancelToken cancel;
  auto r = b.generate(prompt, o, [&](std::string_view p) { text += p; }, cancel);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  if (r.ok() && result != nullptr) *result = *r;
  return text;
}

// The sampler `linnet run` uses: temperature and seed from the request, the rest from the
// bundle; the same seed gives the same text, other seeds other texts.
TEST(SessionBackend, GenerateSamplesWithTheRequestsSeed) {
  auto b = open_backend();
  ASSERT_NE(b, nullptr);
  constexpr std::string_view kPrompt = "the the the the";
  GenerateOptions o;
  o.chat = false;
  o.max_tokens = 24;
  o.temperature = 1.5f;
  o.seed = 1;
  GenerateResult r;
  const std::string first = generate_text(*b, kPrompt, o, &r);
  EXPECT_EQ(first, direct_generation(kPrompt, 24, false, bundle_sampling(1.5f, 1)));
  EXPECT_EQ(generate_text(*b, kPrompt, o), first);
  EXPECT_FALSE(r.sampling.greedy);
  EXPECT_EQ(r.sampling.temperature, 1.5f);
  EXPECT_EQ(r.sampling.seed, 1u);
  const SamplerOptions defaults = bundle_sampling(1.5f, 1);
  EXPECT_EQ(r.sampling.top_k, defaults.top_k);
  EXPECT_EQ(r.sampling.top_p, defaults.top_p);

  o.temperature = 0.0f;
  const std::string greedy = generate_text(*b, kPrompt, o);
  EXPECT_EQ(greedy, direct_generation(kPrompt, 24, false));
  EXPECT_NE(first, greedy);  // 24 tokens at temperature 1.5 on the tiny model

  o.temperature = 1.5f;
  int differ = 0;
  for (std::uint64_t seed = 2; seed < 6; ++seed) {
    o.seed = seed;
    differ += generate_text(*b, kPrompt, o) != first ? 1 : 0;
  }
  EXPECT_GT(differ, 0);
}

TEST(SessionBackend, GenerateTakesEachSamplingFieldAndTheBundlesDefaults) {
  auto b = open_backend();
  ASSERT_NE(b, nullptr);
  constexpr std::string_view kPrompt = "the the the the";
  GenerateOptions o;
  o.chat = false;
  o.max_tokens = 16;
  GenerateResult r;
  // Nothing given: the bundle's defaults (the converter's Qwen defaults: sampling, not
  // greedy) and a fresh seed, which reproduces the text when sent back.
  const std::string text = generate_text(*b, kPrompt, o, &r);
  auto model = Model::open(linnet::testing::tiny_bundle_path());
  ASSERT_TRUE(model.ok());
  const GenerationDefaults& d = (*model)->bundle().generation_defaults();
  ASSERT_GT(d.temperature, 0.0f);
  EXPECT_FALSE(r.sampling.greedy);
  EXPECT_EQ(r.sampling.temperature, d.temperature);
  EXPECT_EQ(r.sampling.top_k, static_cast<std::uint32_t>(d.top_k));
  EXPECT_EQ(r.sampling.top_p, d.top_p);
  EXPECT_EQ(r.sampling.min_p, d.min_p);
  EXPECT_EQ(r.sampling.repetition_penalty, d.repetition_penalty);
  EXPECT_LT(r.sampling.seed, std::uint64_t{1} << 53);
  EXPECT_EQ(text, direct_generation(kPrompt, 16, false, bundle_sampling(d.temperature, r.sampling.seed)));
  o.seed = r.sampling.seed;
  EXPECT_EQ(generate_text(*b, kPrompt, o), text);

  // Every field reaches the sampler.
  o.temperature = 0.8f;
  o.top_k = 5;
  o.top_p = 0.9f;
  o.min_p = 0.05f;
  o.repetition_penalty = 1.3f;
  o.seed = 77;
  const std::string tuned = generate_text(*b, kPrompt, o, &r);
  const SamplerOptions expected{.temperature = 0.8f, .top_k = 5, .top_p = 0.9f, .min_p = 0.05f,
                                .repetition_penalty = 1.3f, .seed = 77};
  EXPECT_EQ(tuned, direct_generation(kPrompt, 16, false, expected));
  EXPECT_EQ(r.sampling.top_k, 5u);
  EXPECT_EQ(r.sampling.top_p, 0.9f);
  EXPECT_EQ(r.sampling.min_p, 0.05f);
  EXPECT_EQ(r.sampling.repetition_penalty, 1.3f);

  // Greedy with a repetition penalty: argmax of the penalised logits.
  o.temperature = 0.0f;
  generate_text(*b, kPrompt, o, &r);
  EXPECT_TRUE(r.sampling.greedy);
  EXPECT_EQ(r.sampling.repetition_penalty, 1.3f);
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
  o.temperature = 0.0f;
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
  o.temperature = 0.0f;  // greedy: the raw text continues past 3 tokens
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
  s.client().send_json({{"id", 1}, {"cmd", "generate"}, {"prompt", "How do I reset my password?"},
                        {"max_tokens", 16}, {"temperature", 0}});
  auto a = s.client().await(1, 60000ms);
  ASSERT_EQ(a.final["ok"], true) << a.final.dump();
  std::string text;
  for (const Json& e : a.events) text += e["text"].get<std::string>();
  EXPECT_EQ(text, expected);
  EXPECT_EQ(a.final["result"]["sampling"], (Json{{"method", "greedy"}, {"repetition_penalty", 1.0}}));

  // Sampled: the same text as the session's sampler with that seed, twice.
  const std::string sampled = direct_generation("the the the the", 16, false, bundle_sampling(0.9f, 1));
  for (int id : {10, 11}) {
    s.client().send_json({{"id", id}, {"cmd", "generate"}, {"prompt", "the the the the"}, {"chat", false},
                          {"max_tokens", 16}, {"temperature", 0.9}, {"seed", 1}, {"stream", false}});
    auto g = s.client().await(id, 60000ms);
    ASSERT_EQ(g.final["ok"], true) << g.final.dump();
    EXPECT_EQ(g.final["result"]["text"], sampled);
    const Json& used = g.final["result"]["sampling"];
    EXPECT_EQ(used["method"], "sample");
    EXPECT_EQ(used["temperature"], 0.9);
    EXPECT_EQ(used["seed"], 1);
    EXPECT_EQ(used["top_k"], bundle_sampling(0.9f, 1).top_k);
  }

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
