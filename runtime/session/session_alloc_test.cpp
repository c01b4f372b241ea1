// The token path allocates nothing: after the prompt, each decode + sample step and each
// step of the generation loop (sampling, stop check, detokenizing, the sink) runs without
// a single call to operator new. Counted by replacing the global operator new in this
// test binary.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "session/session.h"
#include "session/testing/tiny_model.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
// Under AddressSanitizer: the replacement operators above are a matching malloc/free
// pair, but some blocks reach them from ASan's own operator new (allocations bound to the
// sanitizer runtime's definition), which its new/free mismatch check reports as an error.
extern "C" const char* __asan_default_options() { return "alloc_dealloc_mismatch=0"; }

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
  const long before = g_allocations.load();
  for (int step = 0; step < 40; ++step) {
    auto token = session->sample();
    ASSERT_TRUE(token.ok());
    ASSERT_TRUE(session->decode(*token).ok());
  }
  EXPECT_EQ(g_allocations.load() - before, 0) << "allocations in 40 decode+sample steps";
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
    auto result = session->generate(*prompt, options, [&](std::string_view) {
      ++pieces;
      if (pieces == 2) at_second = g_allocations.load();
      at_last = g_allocations.load();
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
