// The token path allocates nothing: after the prompt, each decode + sample step and each
// step of the generation loop (sampling, stop check, detokenizing, the sink) runs without a
// single heap allocation: no malloc-family call and no operator new, on any thread
// (tests/alloc_counter/alloc_counter.h).
#include <gtest/gtest.h>

#include "runtime/session/session.h"
#include "runtime/session/testing/tiny_model.h"
#include "tests/alloc_counter/alloc_counter.h"

namespace linnet {
namespace {

std::unique_ptr<Session> make_session(int threads) {
  const Model* model = testing::tiny_model();
  EXPECT_NE(model, nullptr);
  if (model == nullptr) return nullptr;
  SessionOptions options;
  options.context_length = 256;
  options.threads = threads;
  auto session = Session::create(*model, options);
  EXPECT_TRUE(session.ok()) << (session.ok() ? "" : session.error().message());
  return session.ok() ? std::move(session).value() : nullptr;
}

class NoAllocation : public ::testing::TestWithParam<int> {};

TEST_P(NoAllocation, DecodeAndSampleSteps) {
  auto session = make_session(GetParam());
  ASSERT_NE(session, nullptr);
  auto prompt = session->encode_chat("You are a content moderator.", "hello there", false);
  ASSERT_TRUE(prompt.ok());
  ASSERT_TRUE(session->prefill(*prompt).ok());
  SamplerOptions sampling;
  sampling.temperature = 1.5f;
  sampling.top_k = 0;
  sampling.top_p = 0.95f;
  sampling.repetition_penalty = 1.1f;
  sampling.seed = 7;
  ASSERT_TRUE(session->configure_sampler(sampling).ok());
  // One warm-up step (first use of the decode shape), then 40 counted steps.
  auto first = session->sample();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(session->decode(*first).ok());
  const testing::AllocationCounter counter;
  for (int step = 0; step < 40; ++step) {
    auto token = session->sample();
    ASSERT_TRUE(token.ok());
    ASSERT_TRUE(session->decode(*token).ok());
  }
  EXPECT_EQ(counter.count(), 0) << "allocations in 40 decode+sample steps";
}

TEST_P(NoAllocation, GenerationLoop) {
  auto session = make_session(GetParam());
  ASSERT_NE(session, nullptr);
  auto prompt = session->model().tokenizer().encode("Hello world, this is");
  ASSERT_TRUE(prompt.ok());
  GenerationOptions options;
  options.max_new_tokens = 60;
  options.sampling.temperature = 2.0f;
  options.sampling.top_k = 0;
  options.sampling.top_p = 1.0f;
  options.sampling.repetition_penalty = 1.3f;  // discourages the end token coming back
  long at_second = -1, at_last = -1;
  int pieces = 0;
  for (std::uint64_t seed = 1; seed < 50 && pieces < 10; ++seed) {
    options.sampling.seed = seed;
    pieces = 0;
    const testing::AllocationCounter counter;
    auto result = session->generate(*prompt, options, [&](std::string_view) {
      ++pieces;
      if (pieces == 2) at_second = counter.count();
      at_last = counter.count();
      return true;
    });
    ASSERT_TRUE(result.ok()) << result.error().message();
  }
  ASSERT_GE(pieces, 10) << "no seed gave a generation of 10+ tokens";
  EXPECT_EQ(at_last - at_second, 0) << "allocations between the 2nd and the last of " << pieces << " tokens";
}

INSTANTIATE_TEST_SUITE_P(Threads, NoAllocation, ::testing::Values(1, 2));

}  // namespace
}  // namespace linnet
