// The token path allocates nothing: after the prompt, each decode + sample step and each
// step of the generation loop (sampling, stop check, detokenizing, the sink) runs without a
// single heap allocation: no malloc-family call and no operator new, on any thread
// (tests/alloc_counter/alloc_counter.h).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "runtime/session/classifier.h"
#include "runtime/session/session.h"
#include "runtime/session/testing/tiny_model.h"
#include "tests/alloc_counter/alloc_counter.h"

namespace linnet {
namespace {

// Allocations of one classification after warm-up, 3 labels (docs/memory.md). On token ids:
// the label trie (a node's child and label lists, per label token) and the result's
// probabilities; measured 9, whatever the message. On text, tokenizing the prompt, the prefix
// and the labels as well; measured 104 for a 21-byte message, 110 for an 4x longer one: the
// tokenizer's per-call buffers grow by doubling (log of the text length), never per token.
constexpr long kClassifyTokenAllocations = 16;
constexpr long kClassifyTextAllocations = 200;
constexpr long kTextGrowthFor4xMessage = 16;

std::unique_ptr<Session> make_session(int threads) {
  const Model* model = testing::tiny_model();
  EXPECT_NE(model, nullptr);
  if (model == nullptr) return nullptr;
  SessionOptions options;
  options.executor.context_length = 256;
  options.executor.threads = threads;
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

// Classification after a warm-up (the prefix state cached, the scorer's buffers grown):
// on token ids the model path allocates the same few blocks for a short and a 4x longer
// message (nothing per message token); on text, tokenizing adds a bounded count that grows
// only with the logarithm of the text's length.
TEST_P(NoAllocation, ClassifySteadyState) {
  auto session = make_session(GetParam());
  ASSERT_NE(session, nullptr);
  Classifier classifier;
  const std::vector<std::string> labels = {"SAFE", "SPAM", "ABUSE"};
  const std::string policy = "You are a content moderator. Reply with one label: SAFE, SPAM or ABUSE.";
  std::string short_message = "buy cheap watches now";
  std::string long_message;
  for (int i = 0; i < 4; ++i) long_message += short_message + (i < 3 ? " and " : "");
  bool warm = false;
  const auto run_text = [&](const std::string& message) {
    const ClassifyInput input{policy, message, labels};
    const testing::AllocationCounter counter;
    auto result = classifier.classify(*session, input);
    const long count = counter.count();
    EXPECT_TRUE(result.ok()) << result.error().message();
    EXPECT_TRUE(!warm || (result.ok() && result->prefix_cache_hit));
    return count;
  };
  run_text(short_message);  // warm-up: computes and caches the prefix, grows the buffers
  run_text(long_message);
  warm = true;
  const long text_short = run_text(short_message), text_long = run_text(long_message);

  auto prefix = classifier.prefix_ids(*session, policy);
  ASSERT_TRUE(prefix.ok());
  std::vector<std::vector<TokenId>> label_ids;
  for (const std::string& label : labels) label_ids.push_back(*session->model().tokenizer().encode(label));
  const auto run_tokens = [&](const std::string& message) {
    auto prompt = session->encode_chat(policy, message, false);
    EXPECT_TRUE(prompt.ok());
    const testing::AllocationCounter counter;
    auto result = classifier.classify_tokens(*session, *prompt, *prefix, label_ids);
    const long count = counter.count();
    EXPECT_TRUE(result.ok()) << result.error().message();
    return count;
  };
  const long tokens_short = run_tokens(short_message), tokens_long = run_tokens(long_message);
  std::printf("classify allocations: text %ld / %ld (short / 4x message), token ids %ld / %ld\n", text_short,
              text_long, tokens_short, tokens_long);
  EXPECT_EQ(tokens_long, tokens_short) << "allocations that grow with the message's tokens";
  EXPECT_LE(tokens_short, kClassifyTokenAllocations);
  EXPECT_LE(text_long - text_short, kTextGrowthFor4xMessage) << "allocations that grow with the message";
  EXPECT_LE(text_short, kClassifyTextAllocations);
}

INSTANTIATE_TEST_SUITE_P(Threads, NoAllocation, ::testing::Values(1, 2));

// The session's logits and token history are the arena's "session" region, so the memory
// plan covers them: the logits the session returns live there, and what the session reports
// as its memory is the plan's total.
TEST(SessionMemory, LogitsAndHistoryAreInThePlan) {
  auto session = make_session(1);
  ASSERT_NE(session, nullptr);
  const MemoryPlan& plan = session->executor().memory_plan();
  const MemoryRegion* region = plan.find("session");
  ASSERT_NE(region, nullptr);
  const auto v = static_cast<std::size_t>(session->model().vocab_size());
  EXPECT_GE(region->bytes, v * sizeof(float) + 256 * sizeof(TokenId));
  EXPECT_EQ(session->memory_bytes(), plan.total_bytes);
  auto prompt = session->model().tokenizer().encode("Hello world, this is");
  ASSERT_TRUE(prompt.ok());
  ASSERT_TRUE(session->prefill(*prompt).ok());
  ASSERT_EQ(session->logits().size(), v);
  EXPECT_EQ(session->logits().data(), session->executor().session_logits().data());
  // A full context of history fits: prefill up to the last position, then decode into it.
  std::vector<TokenId> more(static_cast<std::size_t>(session->context_length() - session->position() - 1),
                            (*prompt)[0]);
  ASSERT_TRUE(session->prefill(more).ok());
  ASSERT_TRUE(session->decode((*prompt)[0]).ok());
  EXPECT_EQ(session->position(), session->context_length());
  EXPECT_FALSE(session->decode((*prompt)[0]).ok()) << "past the context";
}

}  // namespace
}  // namespace linnet
