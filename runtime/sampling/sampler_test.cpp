#include "runtime/sampling/sampler.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <map>
#include <new>
#include <random>
#include <vector>

#include <gtest/gtest.h>

// Counts heap allocations, to check that sample() makes none. (GCC flags malloc/free
// inside replacement operators as mismatched; they are the matching pair here.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<long> g_allocations{0};
}  // namespace
void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
// Under AddressSanitizer: the replacement operators above are a matching malloc/free
// pair, but some blocks reach them from ASan's own operator new (allocations bound to the
// sanitizer runtime's definition), which its new/free mismatch check reports as an error.
extern "C" const char* __asan_default_options() { return "alloc_dealloc_mismatch=0"; }

namespace linnet {
namespace {

SamplerOptions plain(float temperature, std::uint64_t seed = 1) {
  SamplerOptions o;
  o.temperature = temperature;
  o.top_k = 0;
  o.top_p = 1.0f;
  o.min_p = 0.0f;
  o.repetition_penalty = 1.0f;
  o.seed = seed;
  return o;
}

std::vector<float> random_logits(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Frequencies of `draws` samples.
std::map<TokenId, int> histogram(Sampler& s, const std::vector<float>& logits, int draws,
                                 std::span<const TokenId> history = {}) {
  std::map<TokenId, int> h;
  for (int i = 0; i < draws; ++i) ++h[*s.sample(logits, history)];
  return h;
}

TEST(Sampler, GreedyIsArgmax) {
  for (std::uint32_t seed = 0; seed < 20; ++seed) {
    const auto logits = random_logits(1000, seed);
    const auto expected = static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    auto greedy = Sampler::create(logits.size(), plain(0.0f));
    ASSERT_TRUE(greedy.ok());
    EXPECT_EQ(*greedy->sample(logits), expected);
    SamplerOptions k1 = plain(1.0f, seed);
    k1.top_k = 1;
    auto topk1 = Sampler::create(logits.size(), k1);
    ASSERT_TRUE(topk1.ok());
    for (int i = 0; i < 5; ++i) EXPECT_EQ(*topk1->sample(logits), expected);
  }
  // Ties: the first maximum, like torch.argmax.
  auto s = Sampler::create(4, plain(0.0f));
  EXPECT_EQ(*s->sample(std::vector<float>{1, 3, 3, 2}), 1);
}

TEST(Sampler, NonFiniteLogitsAreAnErrorNeverAToken) {
  // NaN loses every comparison: without the check greedy would answer token 0 here, and
  // a sampled token would come from a distribution that is not one.
  for (float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    for (float temperature : {0.0f, 1.0f}) {
      std::vector<float> logits = random_logits(1000, 7);
      logits[0] = bad;
      logits[500] = std::nanf("");
      auto s = Sampler::create(logits.size(), plain(temperature));
      ASSERT_TRUE(s.ok());
      auto token = s->sample(logits);
      ASSERT_FALSE(token.ok()) << "temperature " << temperature << " chose " << *token;
      EXPECT_EQ(token.error().code(), ErrorCode::kNumeric);
      EXPECT_NE(token.error().message().find("token 0"), std::string::npos) << token.error().message();
    }
  }
  // Beyond eligible_ids (the head's padding rows) nothing is read, so nothing is checked.
  std::vector<float> logits = random_logits(1024, 8);
  logits[1020] = std::nanf("");
  SamplerOptions o = plain(0.0f);
  o.eligible_ids = 1000;
  auto s = Sampler::create(logits.size(), o);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->sample(logits).ok());
}

TEST(Sampler, SameSeedSameSequence) {
  const auto logits = random_logits(500, 3);
  SamplerOptions o;  // Qwen defaults: temperature 0.7, top-k 20, top-p 0.8
  o.seed = 42;
  auto a = Sampler::create(logits.size(), o);
  auto b = Sampler::create(logits.size(), o);
  o.seed = 43;
  auto c = Sampler::create(logits.size(), o);
  std::vector<TokenId> sa, sb, sc;
  for (int i = 0; i < 200; ++i) {
    sa.push_back(*a->sample(logits));
    sb.push_back(*b->sample(logits));
    sc.push_back(*c->sample(logits));
  }
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
  // configure() with the same seed restarts the sequence.
  o.seed = 42;
  ASSERT_TRUE(a->configure(o).ok());
  std::vector<TokenId> again;
  for (int i = 0; i < 200; ++i) again.push_back(*a->sample(logits));
  EXPECT_EQ(again, sa);
}

TEST(Sampler, TopKKeepsOnlyTheKLargest) {
  const std::vector<float> logits = {0.0f, 1.0f, 5.0f, 4.9f, 4.8f, 4.7f, 0.5f};
  SamplerOptions o = plain(5.0f);  // hot: without top-k everything would appear
  o.top_k = 3;
  auto s = Sampler::create(logits.size(), o);
  const auto h = histogram(*s, logits, 5000);
  for (const auto& [id, count] : h) EXPECT_TRUE(id == 2 || id == 3 || id == 4) << id;
  EXPECT_EQ(h.size(), 3u);
  // Ties with the k-th largest logit stay, as in transformers (it drops only smaller ones).
  const std::vector<float> tied = {3.0f, 1.0f, 2.0f, 2.0f, 2.0f, 0.0f};
  o.top_k = 2;
  o.temperature = 1.0f;
  ASSERT_TRUE(s->configure(o).ok());
  auto ts = Sampler::create(tied.size(), o);
  const auto ht = histogram(*ts, tied, 5000);
  EXPECT_EQ(ht.size(), 4u);  // ids 0, 2, 3, 4
  EXPECT_EQ(ht.count(1), 0u);
  EXPECT_EQ(ht.count(5), 0u);
}

TEST(Sampler, TopPExcludesTheTail) {
  // Probabilities 0.5, 0.3, 0.15, 0.05: with top_p 0.75 the mass before token 2 (0.8)
  // is not below p, so only tokens 0 and 1 remain, in ratio 5:3.
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  SamplerOptions o = plain(1.0f);
  o.top_p = 0.75f;
  auto s = Sampler::create(logits.size(), o);
  const auto h = histogram(*s, logits, 16000);
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h.count(2), 0u);
  EXPECT_EQ(h.count(3), 0u);
  EXPECT_NEAR(static_cast<double>(h.at(0)) / 16000.0, 0.625, 0.015);
  // top_p 0.85: token 2 (mass before it 0.8 < 0.85) comes back, token 3 stays out.
  o.top_p = 0.85f;
  ASSERT_TRUE(s->configure(o).ok());
  const auto h2 = histogram(*s, logits, 8000);
  EXPECT_GT(h2.at(2), 0);
  EXPECT_EQ(h2.count(3), 0u);
}

TEST(Sampler, TopPWithoutTopKOnALargeVocabulary) {
  // 20k ids: one token with half the mass and a flat tail; top_p 0.6 keeps it plus a
  // fifth of the tail (the lowest ids: ties are ordered by id).
  constexpr std::size_t kVocab = 20000;
  std::vector<float> logits(kVocab, 0.0f);
  logits[777] = std::log(static_cast<float>(kVocab));
  SamplerOptions o = plain(1.0f);
  o.top_p = 0.6f;
  auto s = Sampler::create(logits.size(), o);
  const int draws = 600;
  const auto h = histogram(*s, logits, draws);
  int tail_draws = 0;
  for (const auto& [id, count] : h) {
    if (id != 777) tail_draws += count;
    EXPECT_TRUE(id == 777 || id < static_cast<TokenId>(kVocab / 5 + 2)) << id;
  }
  EXPECT_NEAR(h.at(777), draws * 0.5 / 0.6, 40);
  EXPECT_NEAR(tail_draws, draws * 0.1 / 0.6, 40);
}

TEST(Sampler, MinPExcludesTheUnlikely) {
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  SamplerOptions o = plain(1.0f);
  o.min_p = 0.2f;  // floor 0.1: token 3 (0.05) goes, token 2 (0.15) stays
  auto s = Sampler::create(logits.size(), o);
  const auto h = histogram(*s, logits, 8000);
  EXPECT_EQ(h.count(3), 0u);
  EXPECT_GT(h.at(2), 0);
}

TEST(Sampler, RepetitionPenaltyLowersRepeatedTokens) {
  SamplerOptions o = plain(0.0f);
  o.repetition_penalty = 1.2f;
  auto s = Sampler::create(3, o);
  const std::vector<TokenId> history = {0, 0, 0};  // counted once: 2.0 / 1.2 = 1.67
  EXPECT_EQ(*s->sample(std::vector<float>{2.0f, 1.9f, 0.0f}, history), 1);
  EXPECT_EQ(*s->sample(std::vector<float>{2.0f, 1.5f, 0.0f}, history), 0);  // 1.67 > 1.5
  // Negative logits are multiplied: -1.0 * 1.2 = -1.2 < -1.1.
  EXPECT_EQ(*s->sample(std::vector<float>{-1.0f, -1.1f, -5.0f}, history), 1);
  // Sampling: the penalised token is drawn less often.
  SamplerOptions hot = plain(1.0f);
  auto free_sampler = Sampler::create(2, hot);
  hot.repetition_penalty = 1.5f;
  auto penalised = Sampler::create(2, hot);
  const std::vector<float> logits = {1.0f, 1.0f};
  const std::vector<TokenId> seen = {0};
  const int free_count = histogram(*free_sampler, logits, 10000)[0];
  const int penalised_count = histogram(*penalised, logits, 10000, seen)[0];
  EXPECT_NEAR(free_count, 5000, 250);
  // p0 = e^(1/1.5) / (e^(1/1.5) + e) = 0.417
  EXPECT_NEAR(penalised_count, 4170, 250);
}

TEST(Sampler, TemperatureSamplingMatchesTheSoftmax) {
  // Chi-square goodness of fit of 200k draws against softmax(logits / T).
  const std::vector<float> logits = {1.0f, 0.5f, 0.0f, -0.5f, 2.0f, 1.5f, -1.0f, 0.2f};
  const float t = 0.7f;
  auto s = Sampler::create(logits.size(), plain(t, 2024));
  std::vector<double> p(logits.size());
  double z = 0;
  for (std::size_t i = 0; i < p.size(); ++i) z += p[i] = std::exp(static_cast<double>(logits[i] / t));
  const int draws = 200000;
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < draws; ++i) ++counts[static_cast<std::size_t>(*s->sample(logits))];
  double chi2 = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double expected = draws * p[i] / z;
    chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  EXPECT_LT(chi2, 24.3);  // 7 degrees of freedom, p = 0.001
  // And a wrong temperature is detected by the same statistic.
  double chi2_wrong = 0;
  double z1 = 0;
  for (float l : logits) z1 += std::exp(static_cast<double>(l));
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double expected = draws * std::exp(static_cast<double>(logits[i])) / z1;
    chi2_wrong += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  EXPECT_GT(chi2_wrong, 1000.0);
}

TEST(Sampler, PaddingIdsAreNeverChosen) {
  std::vector<float> logits(1024, 0.0f);
  for (std::size_t i = 1000; i < 1024; ++i) logits[i] = 10.0f;  // padding rows win
  SamplerOptions o = plain(1.0f);
  o.eligible_ids = 1000;
  auto s = Sampler::create(logits.size(), o);
  for (int i = 0; i < 2000; ++i) EXPECT_LT(*s->sample(logits), 1000);
  o.temperature = 0.0f;
  ASSERT_TRUE(s->configure(o).ok());
  EXPECT_LT(*s->sample(logits), 1000);
}

TEST(Sampler, NoAllocationPerToken) {
  const auto logits = random_logits(5000, 9);
  const std::vector<TokenId> history = {1, 2, 3, 4, 5, 1, 2};
  SamplerOptions o;
  o.repetition_penalty = 1.1f;
  o.min_p = 0.05f;
  auto s = Sampler::create(logits.size(), o);
  SamplerOptions nucleus = plain(1.0f);
  nucleus.top_p = 0.9f;
  auto n = Sampler::create(logits.size(), nucleus);
  const long before = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    (void)s->sample(logits, history);
    (void)n->sample(logits, history);
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
}

TEST(Sampler, RejectsBadOptionsAndInputs) {
  SamplerOptions o;
  o.top_p = 0.0f;
  EXPECT_FALSE(Sampler::create(10, o).ok());
  o = SamplerOptions{};
  o.min_p = 1.0f;
  EXPECT_FALSE(Sampler::create(10, o).ok());
  o = SamplerOptions{};
  o.repetition_penalty = 0.0f;
  EXPECT_FALSE(Sampler::create(10, o).ok());
  o = SamplerOptions{};
  o.eligible_ids = 11;
  EXPECT_FALSE(Sampler::create(10, o).ok());
  EXPECT_FALSE(Sampler::create(0, SamplerOptions{}).ok());
  auto s = Sampler::create(10, SamplerOptions{});
  ASSERT_TRUE(s.ok());
  auto r = s->sample(std::vector<float>(9, 0.0f));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace linnet
