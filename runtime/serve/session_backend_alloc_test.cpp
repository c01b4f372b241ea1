// Allocations of a serial request's model work (SessionBackend::classify and ::generate, the
// calls the server's worker makes) after a warm-up, counted by tests/alloc_counter (every
// malloc-family call and operator new, on any thread). A request allocates by design for
// its text (tokenizing the prompt, the result, the sampler's seed and stop-string filter);
// that count is bounded, grows with the text only by the doublings of the tokenizer's
// buffers, and not with the tokens generated: between the second and the last generated
// token nothing is allocated.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "serve/session_backend.h"
#include "session/testing/tiny_model.h"
#include "tests/alloc_counter/alloc_counter.h"

namespace linnet::serve {
namespace {

// Allocations of one request after warm-up (docs/memory.md). classify, 3 labels: measured
// 107 for a 21-byte text and 113 for a 4x longer one (tokenizing: per-call buffers that grow
// by doubling; the label trie; the result with its label strings). generate: measured 14
// for 13 tokens (tokenizing the prompt, the stop-string filter, the sampler options), none
// per token.
constexpr long kClassifyRequestAllocations = 200;
constexpr long kTextGrowthFor4xText = 16;
constexpr long kGenerateRequestAllocations = 40;

std::unique_ptr<SessionBackend> open_backend() {
  SessionBackendOptions o;
  o.session.context_length = 512;
  o.session.threads = 1;
  auto b = SessionBackend::open(linnet::testing::tiny_bundle_path(), "", o);
  EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().message());
  return b.ok() ? std::move(b).value() : nullptr;
}

TEST(SessionBackendAllocations, ClassifyRequestIsBoundedAndDoesNotGrowWithTheText) {
  auto backend = open_backend();
  ASSERT_NE(backend, nullptr);
  ClassifyRequest request;
  request.system = "You are a content moderator. Reply with one label: SAFE, SPAM or ABUSE.";
  request.labels = {"SAFE", "SPAM", "ABUSE"};
  const std::string short_text = "buy cheap watches now";
  const std::string long_text = short_text + " and " + short_text + " and " + short_text + " and " + short_text;
  const CancelToken cancel;
  const auto run = [&](const std::string& text) {
    request.text = text;
    const linnet::testing::AllocationCounter counter;
    auto r = backend->classify(request, cancel);
    const long count = counter.count();
    EXPECT_TRUE(r.ok()) << r.error().message();
    return count;
  };
  run(short_text);  // warm-up: the prefix state is computed and cached
  run(long_text);
  const long at_short = run(short_text), at_long = run(long_text);
  std::printf("classify request allocations: %ld (short text), %ld (4x text)\n", at_short, at_long);
  EXPECT_LE(at_long - at_short, kTextGrowthFor4xText);
  EXPECT_LE(at_short, kClassifyRequestAllocations);
}

TEST(SessionBackendAllocations, GenerateRequestIsBoundedAndNothingPerToken) {
  auto backend = open_backend();
  ASSERT_NE(backend, nullptr);
  GenerateOptions options;
  options.chat = false;
  options.temperature = 2.0f;
  options.top_k = 0u;
  options.top_p = 1.0f;
  options.repetition_penalty = 1.3f;  // keeps the end token away
  options.stop = {"no such stop string"};
  const CancelToken cancel;
  long whole = -1, at_second = -1, at_last = -1;
  int pieces = 0;
  for (std::uint64_t seed = 1; seed < 50 && pieces < 10; ++seed) {
    for (int round = 0; round < 2; ++round) {  // the first a warm-up
      options.seed = seed;
      options.max_tokens = 40u;
      pieces = 0;
      const linnet::testing::AllocationCounter counter;
      auto r = backend->generate("Hello world, this is", options, [&](std::string_view) {
        ++pieces;
        if (pieces == 2) at_second = counter.count();
        at_last = counter.count();
      }, cancel);
      whole = counter.count();
      ASSERT_TRUE(r.ok()) << r.error().message();
    }
  }
  ASSERT_GE(pieces, 10) << "no seed gave a generation of 10+ tokens";
  std::printf("generate request allocations: %ld for %d tokens, %ld between the 2nd and the last\n", whole, pieces,
              at_last - at_second);
  EXPECT_EQ(at_last - at_second, 0) << "allocations between the 2nd and the last of " << pieces << " tokens";
  EXPECT_LE(whole, kGenerateRequestAllocations);
}

}  // namespace
}  // namespace linnet::serve
