// Allocations of a serial request after a warm-up, counted by tests/alloc_counter (every
// malloc-family call and operator new, on any thread): the model work alone
// (SessionBackend::classify and ::generate, the calls the server's worker makes), and a whole
// request through the server over a pty. A request allocates by design for
// its text (tokenizing the prompt, the result, the sampler's seed and stop-string filter);
// that count is bounded, grows with the text only by the doublings of the tokenizer's
// buffers, and not with the tokens generated: between the second and the last generated
// token nothing is allocated.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "runtime/serve/session_backend.h"
#include "runtime/serve/testing/pty_client.h"
#include "runtime/session/testing/tiny_model.h"
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
// Through the server (parsing the request line, the backend call, the reply lines' JSON),
// measured: classify 203; generate with one reply line 153 for 8 tokens, 154 for 32;
// streamed, 711 for 31 lines (about 19 a token line).
constexpr long kServerClassifyAllocations = 400;
constexpr long kServerGenerateAllocations = 300;
constexpr long kAllocationsPerReplyLine = 32;

std::unique_ptr<SessionBackend> open_backend() {
  SessionBackendOptions o;
  o.session.executor.context_length = 512;
  o.session.executor.threads = 1;
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

// Reads reply lines from `fd` into a fixed buffer (no allocation on this side) until the final
// line (one with "ok":) of a request; returns the number of lines, -1 on timeout.
int read_until_final(int fd) {
  static char buffer[1 << 16];
  std::size_t used = 0;
  int lines = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::read(fd, buffer + used, sizeof buffer - used - 1);
    if (n <= 0) continue;
    used += static_cast<std::size_t>(n);
    buffer[used] = '\0';
    char* line = buffer;
    for (char* end = std::strchr(line, '\n'); end != nullptr; end = std::strchr(line, '\n')) {
      *end = '\0';
      ++lines;
      if (std::strstr(line, "\"ok\":") != nullptr) return lines;
      line = end + 1;
    }
    used = static_cast<std::size_t>(buffer + used - line);
    std::memmove(buffer, line, used);
  }
  return -1;
}

// A whole serial request through the server (reader thread, worker, reply lines) after a
// warm-up, counted on every thread of the process while the client side only reads raw
// bytes. Building each reply line (JSON) allocates by design: a classify request makes a
// bounded number; a generate request makes a bounded number per streamed token line, and
// with "stream":false the same count for 8 tokens as for 32 but for the growth of the text.
TEST(SessionBackendAllocations, SerialRequestsThroughTheServer) {
  auto backend = open_backend();
  ASSERT_NE(backend, nullptr);
  testing::PtyServer::Config config;
  config.backend_override = backend.get();
  config.with_ota = false;
  testing::PtyServer s(config);
  const int fd = s.pty().master();
  const auto request = [&](const std::string& line, long& allocations) {
    const linnet::testing::AllocationCounter counter;
    s.client().send(line);  // a write of the prepared bytes
    const int lines = read_until_final(fd);
    allocations = counter.count();
    return lines;
  };
  const std::string classify =
      R"({"id":1,"cmd":"classify","text":"buy cheap watches now","labels":["SAFE","SPAM","ABUSE"],)"
      R"("system":"You are a content moderator. Reply with one label: SAFE, SPAM or ABUSE."})"
      "\n";
  const auto generate = [](int max_tokens, bool stream) {
    return R"({"id":2,"cmd":"generate","prompt":"the the the the","chat":false,"temperature":2.0,"top_k":0,)"
           R"("repetition_penalty":1.3,"seed":3,"max_tokens":)" +
           std::to_string(max_tokens) + (stream ? "" : R"(,"stream":false)") + "}\n";
  };
  long warm = 0, classify_count = 0, short_count = 0, long_count = 0, streamed_count = 0;
  ASSERT_EQ(request(classify, warm), 1);
  ASSERT_EQ(request(classify, classify_count), 1);
  ASSERT_EQ(request(generate(32, false), warm), 1);
  ASSERT_EQ(request(generate(8, false), short_count), 1);
  ASSERT_EQ(request(generate(32, false), long_count), 1);
  const int streamed_lines = request(generate(32, true), streamed_count);
  ASSERT_GT(streamed_lines, 8);
  std::printf("server request allocations: classify %ld; generate 8 / 32 tokens, one reply line: %ld / %ld; "
              "generate streamed, %d lines: %ld\n",
              classify_count, short_count, long_count, streamed_lines, streamed_count);
  EXPECT_LE(classify_count, kServerClassifyAllocations);
  EXPECT_LE(short_count, kServerGenerateAllocations);
  EXPECT_LE(long_count - short_count, kTextGrowthFor4xText);
  EXPECT_LE(streamed_count, kServerGenerateAllocations + kAllocationsPerReplyLine * streamed_lines);
}

}  // namespace
}  // namespace linnet::serve
