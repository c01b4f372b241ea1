// The server against a hostile line: noise bursts between requests, clients that stop
// reading or vanish mid-stream, and a long soak that must not grow memory.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "runtime/core/process_memory.h"
#include "runtime/serve/testing/pty_client.h"

namespace linnet::serve::testing {
namespace {

// ASan keeps freed memory in quarantine (up to 256 MiB), so RSS grows with every
// allocation there; its leak checker at exit covers that build instead.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

PtyServer::Config fast_config() {
  PtyServer::Config c;
  c.options.line_timeout = 100ms;
  c.options.write_timeout = 200ms;
  c.options.reconnect_interval = 20ms;
  c.options.max_line_bytes = 4096;
  return c;
}

Json request(Json id, std::string_view cmd, Json fields = Json::object()) {
  fields["id"] = std::move(id);
  fields["cmd"] = cmd;
  return fields;
}

// Checks the answer to the i-th valid request of the noise test.
void expect_correct(int i, const LineClient::Answer& a) {
  ASSERT_FALSE(a.final.is_null()) << "request " << i << " was not answered";
  ASSERT_EQ(a.final["ok"], true) << a.final.dump();
  switch (i % 3) {
    case 0:
      EXPECT_EQ(a.final["result"], Json::object());
      break;
    case 1: {
      const std::vector<std::string> labels = {"red", "green", "blue"};
      const std::string text = i % 2 ? "a green thing" : "a blue thing";
      EXPECT_EQ(a.final["result"]["label"], i % 2 ? "green" : "blue");
      for (const auto& l : labels) {
        EXPECT_DOUBLE_EQ(a.final["result"]["probabilities"][l].get<double>(),
                         FakeBackend::label_probability(text, labels, l));
      }
      break;
    }
    case 2: {
      ASSERT_EQ(a.events.size(), 3u);
      for (std::uint32_t k = 0; k < 3; ++k) {
        EXPECT_EQ(a.events[k]["text"], FakeBackend::token_piece("noise", k));
      }
      EXPECT_EQ(a.final["result"]["generated_tokens"], 3);
      break;
    }
  }
}

Json valid_request(int i) {
  const Json id = "v" + std::to_string(i);
  switch (i % 3) {
    case 0: return request(id, "ping");
    case 1:
      return request(id, "classify", {{"text", i % 2 ? "a green thing" : "a blue thing"},
                                      {"labels", {"red", "green", "blue"}}});
    default: return request(id, "generate", {{"prompt", "noise"}, {"max_tokens", 3}});
  }
}

TEST(Robustness, ValidRequestsAreAnsweredCorrectlyBetweenNoiseBursts) {
  PtyServer s(fast_config());
  std::mt19937 rng(20260);
  constexpr int kBursts = 1200;
  int error_lines = 0, silent_resets = 0, overlong = 0;
  for (int i = 0; i < kBursts; ++i) {
    std::string burst;
    const int kind = static_cast<int>(rng() % 10);
    if (kind == 0) {
      burst.assign(5000 + rng() % 3000, 'x');  // over the limit
      burst[rng() % burst.size()] = static_cast<char>(rng());
      ++overlong;
    } else if (kind == 1) {
      burst = std::string("{\"id\":\"half\",\"cmd\":\"cla") + '\0';  // a break mid-line
      ++silent_resets;
    } else {
      const std::size_t n = 1 + rng() % 300;
      for (std::size_t k = 0; k < n; ++k) burst.push_back(static_cast<char>(rng()));
    }
    burst.push_back('\n');  // end whatever the noise left open
    s.client().send(burst);
    const Json req = valid_request(i);
    s.client().send_json(req);
    auto a = s.client().await(req["id"]);
    expect_correct(i, a);
    for (const Json& other : a.others) {
      // Everything else is an error about the noise, never an answer to something else.
      EXPECT_EQ(other["ok"], false) << other.dump();
      ++error_lines;
    }
    if (::testing::Test::HasFailure()) break;
  }
  // Half a line then silence, a few times: dropped after the timeout.
  for (int i = 0; i < 5; ++i) {
    s.client().send("{\"id\":1,\"cmd\":\"sta");
    auto e = s.client().next_json();
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ((*e)["error"]["code"], "line_timeout");
    s.client().send_json(request(i, "status"));
    EXPECT_EQ(s.client().await(i).final["ok"], true);
  }
  const ServerCounters c = s.server().counters();
  EXPECT_GE(c.errors, static_cast<std::uint64_t>(overlong));
  EXPECT_GT(error_lines, kBursts / 2);
  std::printf("noise: %d bursts (%d overlong, %d breaks), %d error lines, all %d requests answered\n",
              kBursts, overlong, silent_resets, error_lines, kBursts);
}

// A stream of 2-byte garbage lines ("x\n", line noise on a UART): bytes the server sends
// per byte received. Every line must still be accounted for: answered by its own error
// or counted in an "unanswered_lines" summary.
struct Amplification {
  std::size_t bytes_in = 0, bytes_out = 0, error_lines = 0, lines_counted = 0, summarised = 0;
};

Amplification measure_noise(PtyServer::Config config, int lines) {
  config.options.write_timeout = 5000ms;  // the reader below keeps up; never cut a line
  config.options.line_timeout = 10000ms;  // a slow sender (ASan, a loaded machine) splits no line
  PtyServer s(config);
  Amplification a;
  std::string chunk;
  for (int i = 0; i < 100; ++i) chunk += "x\n";
  // Sent from another thread while this one reads, so the answers never back up.
  std::thread sender([&] {
    for (int sent = 0; sent < lines; sent += 100) s.client().send(chunk);
  });
  a.bytes_in = chunk.size() * static_cast<std::size_t>((lines + 99) / 100);
  // Read until the line has been quiet for longer than the summary interval.
  while (auto line = s.client().next_line(config.options.noise.interval + 500ms)) {
    a.bytes_out += line->size() + 1;
    const Json j = Json::parse(*line);
    EXPECT_EQ(j["ok"], false) << *line;
    EXPECT_TRUE(j["id"].is_null()) << *line;
    ++a.error_lines;
    if (j["error"]["code"] == "unanswered_lines") {
      const std::size_t n = std::stoull(j["error"]["message"].get<std::string>());
      a.lines_counted += n;
      a.summarised += n;
    } else {
      EXPECT_EQ(j["error"]["code"], "bad_json") << *line;
      ++a.lines_counted;
    }
  }
  sender.join();
  EXPECT_EQ(s.server().counters().unanswered_lines, a.summarised);
  return a;
}

TEST(Robustness, LineNoiseIsNotAmplified) {
  constexpr int kLines = 20000;  // 40,000 bytes: 3.5 s of a saturated 115200-baud line
  auto unlimited = fast_config();
  unlimited.options.noise.burst = static_cast<std::size_t>(kLines) * 2;  // every line answered
  const Amplification before = measure_noise(unlimited, kLines);
  EXPECT_EQ(before.error_lines, static_cast<std::size_t>(kLines));
  const Amplification after = measure_noise(fast_config(), kLines);
  EXPECT_EQ(after.lines_counted, static_cast<std::size_t>(kLines));  // none lost from the count
  const double ratio_before = static_cast<double>(before.bytes_out) / static_cast<double>(before.bytes_in);
  const double ratio_after = static_cast<double>(after.bytes_out) / static_cast<double>(after.bytes_in);
  std::printf("noise amplification (%d lines of \"x\\n\", %zu bytes in): every line answered %zu bytes out "
              "(%.1fx), limited %zu bytes out in %zu lines (%.4fx)\n",
              kLines, after.bytes_in, before.bytes_out, ratio_before, after.bytes_out, after.error_lines, ratio_after);
  EXPECT_GT(ratio_before, 20.0);
  EXPECT_LT(ratio_after, 0.05);
}

TEST(Robustness, AClientThatStopsReadingDoesNotWedgeTheServer) {
  PtyServer s(fast_config());
  s.client().send_json(request("flood", "generate", {{"prompt", "p"}, {"max_tokens", 32768}}));
  // Do not read: the pty fills, the write times out, the generation is cancelled.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (s.backend().cancelled_generations() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(s.backend().cancelled_generations(), 1);
  // The client comes back: it reads what is left and the next request is served. Lines
  // cut by the stall may be garbage, so look for the answer line by line.
  s.client().drain();
  s.client().send_json(request("back", "ping"));
  bool answered = false;
  for (int n = 0; n < 100000 && !answered; ++n) {
    auto line = s.client().next_line(3000ms);
    ASSERT_TRUE(line.has_value()) << "no answer after the stall";
    Json j = Json::parse(*line, nullptr, false);
    answered = !j.is_discarded() && j.is_object() && j["id"] == "back" && j["ok"] == true;
  }
  EXPECT_TRUE(answered);
}

TEST(Robustness, AClientThatVanishesMidStreamCancelsTheGenerationAndTheServerReconnects) {
  auto config = fast_config();
  config.backend.token_delay = 5ms;
  PtyServer s(config);
  s.client().send_json(request(1, "generate", {{"prompt", "p"}, {"max_tokens", 5000}}));
  for (int k = 0; k < 3; ++k) ASSERT_TRUE(s.client().next_json().has_value());
  s.vanish();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (s.backend().cancelled_generations() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(s.backend().cancelled_generations(), 1);
  // Plugged back in: the server reopens the device path and serves.
  s.replug();
  ASSERT_TRUE(s.wait_for_opens(2));
  s.client().send_json(request(2, "generate", {{"prompt", "p"}, {"max_tokens", 2}}));
  auto a = s.client().await(2);
  EXPECT_EQ(a.final["result"]["generated_tokens"], 2);
  EXPECT_EQ(s.server().counters().link_losses, 1u);
  EXPECT_EQ(s.backend().generate_calls(), 2);
}

TEST(Robustness, StopWhileTheLinkIsGoneReturnsPromptly) {
  PtyServer s(fast_config());
  s.vanish();
  std::this_thread::sleep_for(100ms);  // the server is now retrying the open
  const auto t0 = std::chrono::steady_clock::now();
  s.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST(Robustness, TenThousandClassifyRequestsDoNotGrowMemory) {
  PtyServer s(fast_config());
  const std::vector<std::string> labels = {"calm", "angry", "unsure"};
  auto run = [&](int first, int count) {
    constexpr int kWindow = 4;  // requests in flight (under the queue limit)
    int sent = first, done = first;
    while (done < first + count) {
      while (sent < first + count && sent - done < kWindow) {
        const std::string text = sent % 2 ? "angry words" : "calm words";
        s.client().send_json(request(sent, "classify", {{"text", text}, {"labels", labels}}));
        ++sent;
      }
      auto j = s.client().next_json();
      ASSERT_TRUE(j.has_value()) << "no answer to request " << done;
      if (j->contains("event")) continue;  // "queued"
      ASSERT_EQ((*j)["id"], done) << j->dump();
      ASSERT_EQ((*j)["ok"], true) << j->dump();
      ASSERT_EQ((*j)["result"]["label"], done % 2 ? "angry" : "calm");
      ++done;
    }
  };
  run(0, 1000);  // warm up: allocator pools, thread stacks, buffers
  const auto before = read_resident_memory();
  ASSERT_TRUE(before.ok());
  run(1000, 10000);
  const auto after = read_resident_memory();
  ASSERT_TRUE(after.ok());
  const std::int64_t growth =
      static_cast<std::int64_t>(after->current_bytes) - static_cast<std::int64_t>(before->current_bytes);
  std::printf("soak: 10000 classify requests, RSS %llu -> %llu bytes (growth %lld)\n",
              static_cast<unsigned long long>(before->current_bytes), static_cast<unsigned long long>(after->current_bytes),
              static_cast<long long>(growth));
  if (!kAddressSanitizer) {
    EXPECT_LT(growth, 256 * 1024);
  }
  EXPECT_EQ(s.backend().classify_calls(), 11000);
}

}  // namespace
}  // namespace linnet::serve::testing
