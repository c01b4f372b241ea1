// The server through a pseudo-terminal pair, command by command, with the fake backend.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "runtime/serve/base64.h"
#include "runtime/serve/crc32.h"
#include "runtime/serve/testing/pty_client.h"

namespace linnet::serve::testing {
namespace {

PtyServer::Config fast_config() {
  PtyServer::Config c;
  c.options.line_timeout = 300ms;
  c.options.write_timeout = 300ms;
  c.options.reconnect_interval = 50ms;
  return c;
}

Json request(Json id, std::string_view cmd, Json fields = Json::object()) {
  fields["id"] = std::move(id);
  fields["cmd"] = cmd;
  return fields;
}

// Sends one request and returns its final line.
Json call(PtyServer& s, const Json& req) {
  s.client().send_json(req);
  auto a = s.client().await(req["id"]);
  EXPECT_FALSE(a.final.is_null()) << "no answer to " << req.dump();
  return a.final;
}

std::string error_code(const Json& final) {
  if (!final.contains("error")) return "(ok)";
  return final["error"]["code"].get<std::string>();
}

TEST(Server, Info) {
  PtyServer s(fast_config());
  Json r = call(s, request(1, "info"));
  ASSERT_EQ(r["ok"], true) << r.dump();
  const Json& info = r["result"];
  EXPECT_EQ(info["protocol"], 1);
  EXPECT_EQ(info["model"]["name"], "fake-model");
  EXPECT_EQ(info["model"]["context_length"], 4096);
  EXPECT_GT(info["memory"]["rss_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(info["memory"]["planned_bytes"], 2000);
  EXPECT_GE(info["uptime_s"].get<double>(), 0.0);
  EXPECT_EQ(info["limits"]["max_line_bytes"], kDefaultMaxLineBytes);
  EXPECT_TRUE(info["linnet"].is_string());
  const Json& commands = info["commands"];
  for (const char* c : {"info", "status", "classify", "generate", "cancel", "ota_chunk"}) {
    EXPECT_NE(std::find(commands.begin(), commands.end(), c), commands.end()) << c;
  }
}

TEST(Server, PingAndStringIds) {
  PtyServer s(fast_config());
  Json r = call(s, request("abc", "ping"));
  EXPECT_EQ(r, Json::parse(R"({"id":"abc","ok":true,"result":{}})"));
}

TEST(Server, ClassifyReturnsEveryLabelsProbability) {
  PtyServer s(fast_config());
  Json r = call(s, request(2, "classify", {{"text", "buy cheap spam now"}, {"labels", {"spam", "ham", "other"}}}));
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["label"], "spam");
  const Json& p = r["result"]["probabilities"];
  EXPECT_NEAR(p["spam"].get<double>(), 10.0 / 12.0, 1e-12);
  EXPECT_NEAR(p["ham"].get<double>(), 1.0 / 12.0, 1e-12);
  EXPECT_NEAR(p["other"].get<double>(), 1.0 / 12.0, 1e-12);
  EXPECT_TRUE(r["result"]["prompt_tokens"].is_number_unsigned());
  EXPECT_TRUE(r["result"]["total_ms"].is_number());
}

TEST(Server, GenerateStreamsOneLinePerTokenThenCountsAndTimings) {
  PtyServer s(fast_config());
  s.client().send_json(request(3, "generate", {{"prompt", "hello"}, {"max_tokens", 5}}));
  auto a = s.client().await(3);
  ASSERT_EQ(a.final["ok"], true) << a.final.dump();
  ASSERT_EQ(a.events.size(), 5u);
  for (std::uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(a.events[i]["event"], "token");
    EXPECT_EQ(a.events[i]["text"], FakeBackend::token_piece("hello", i));
  }
  const Json& r = a.final["result"];
  EXPECT_EQ(r["stop_reason"], "max_tokens");
  EXPECT_EQ(r["generated_tokens"], 5);
  EXPECT_EQ(r["prompt_tokens"], 2);
  for (const char* k : {"prefill_ms", "decode_ms", "total_ms", "tokens_per_s"}) {
    EXPECT_TRUE(r[k].is_number()) << k;
  }
  EXPECT_FALSE(r.contains("text"));
  EXPECT_EQ(r["sampling"], (Json{{"method", "greedy"}, {"repetition_penalty", 1.0}}));

  // Every sampling field reaches the backend; the result reports what it used.
  s.client().send_json(request(4, "generate", {{"prompt", "hello"}, {"max_tokens", 1}, {"temperature", 0.9},
                                              {"top_k", 40}, {"top_p", 0.95}, {"min_p", 0.05},
                                              {"repetition_penalty", 1.1}, {"seed", 1}}));
  auto b = s.client().await(4);
  ASSERT_EQ(b.final["ok"], true) << b.final.dump();
  const Json expected = Json::parse(R"({"method":"sample","temperature":0.9,"top_k":40,"top_p":0.95,)"
                                    R"("min_p":0.05,"repetition_penalty":1.1,"seed":1})");
  EXPECT_EQ(b.final["result"]["sampling"], expected) << b.final.dump();
}

TEST(Server, GenerateEndOfTextStopStringsAndNonStreaming) {
  PtyServer s(fast_config());
  Json r = call(s, request(4, "generate", {{"prompt", "eos:3"}, {"stream", false}}));
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["stop_reason"], "end_of_turn");
  EXPECT_EQ(r["result"]["text"], "t0 t1 t2 ");

  r = call(s, request(5, "generate", {{"prompt", "x"}, {"stop", {"t3"}}, {"stream", false}}));
  EXPECT_EQ(r["result"]["stop_reason"], "stop_string");
  EXPECT_EQ(r["result"]["generated_tokens"], 4);
}

TEST(Server, TokensThatSplitAUtf8CharacterArriveWhole) {
  PtyServer s(fast_config());
  s.client().send_json(request(6, "generate", {{"prompt", "utf8"}, {"max_tokens", 4}}));
  auto a = s.client().await(6);
  ASSERT_EQ(a.final["ok"], true);
  std::string text;
  for (const Json& e : a.events) text += e["text"].get<std::string>();
  EXPECT_EQ(text, "\xF0\x9F\x98\x80\xF0\x9F\x98\x80");
  EXPECT_EQ(a.events.size(), 2u);  // one line per complete character
  EXPECT_EQ(a.final["result"]["generated_tokens"], 4);
}

TEST(Server, BackendErrorsBecomeErrorResponses) {
  PtyServer s(fast_config());
  EXPECT_EQ(error_code(call(s, request(7, "generate", {{"prompt", "fail"}}))), "backend");
  EXPECT_EQ(error_code(call(s, request(8, "generate", {{"prompt", std::string(5000, 'x')}}))),
            "bad_request");
  EXPECT_EQ(error_code(call(s, request(9, "classify", {{"text", "fail"}, {"labels", {"a", "b"}}}))),
            "backend");
  EXPECT_EQ(call(s, request(10, "ping"))["ok"], true);  // still serving
}

TEST(Server, NonFiniteModelOutputIsANumericErrorNeverALabel) {
  PtyServer s(fast_config());
  // A backend whose probabilities are NaN: the server refuses to name a label.
  Json r = call(s, request(11, "classify", {{"text", "nan"}, {"labels", {"SAFE", "SPAM"}}}));
  EXPECT_EQ(r["ok"], false) << r.dump();
  EXPECT_EQ(error_code(r), "numeric");
  EXPECT_FALSE(r.contains("result"));
  EXPECT_NE(r["error"]["message"].get<std::string>().find("'SAFE'"), std::string::npos) << r.dump();
  // A session that fails with kNumeric (the sampler saw a NaN logit).
  r = call(s, request(12, "generate", {{"prompt", "nan"}}));
  EXPECT_EQ(error_code(r), "numeric");
  EXPECT_NE(r["error"]["message"].get<std::string>().find("nan"), std::string::npos) << r.dump();
  EXPECT_EQ(call(s, request(13, "ping"))["ok"], true);  // still serving
}

TEST(Server, CancelStopsARunningGenerationWithinOneToken) {
  auto config = fast_config();
  config.backend.token_delay = 20ms;
  PtyServer s(config);
  s.client().send_json(request("g", "generate", {{"prompt", "long"}, {"max_tokens", 1000}}));
  // Wait for a few tokens, then cancel.
  int tokens = 0;
  while (tokens < 3) {
    auto j = s.client().next_json();
    ASSERT_TRUE(j.has_value());
    if ((*j)["id"] == "g" && j->contains("event")) ++tokens;
  }
  s.client().send_json(request("c", "cancel", {{"target", "g"}}));
  int tokens_after_cancel_answer = 0;
  bool cancel_answered = false;
  Json final;
  for (;;) {
    auto j = s.client().next_json();
    ASSERT_TRUE(j.has_value()) << "no final line";
    if ((*j)["id"] == "c") {
      EXPECT_EQ((*j)["ok"], true) << j->dump();
      EXPECT_EQ((*j)["result"]["state"], "running");
      cancel_answered = true;
    } else if ((*j)["id"] == "g" && j->contains("event")) {
      ++tokens;
      if (cancel_answered) ++tokens_after_cancel_answer;
    } else if ((*j)["id"] == "g") {
      final = *j;
      break;
    }
  }
  EXPECT_TRUE(cancel_answered);
  EXPECT_LE(tokens_after_cancel_answer, 1);
  ASSERT_EQ(final["ok"], true) << final.dump();
  EXPECT_EQ(final["result"]["stop_reason"], "cancelled");
  EXPECT_EQ(final["result"]["generated_tokens"], tokens);
  EXPECT_LT(tokens, 1000);
  EXPECT_EQ(s.backend().cancelled_generations(), 1);
}

TEST(Server, CancelWithoutTargetHitsTheRunningRequest) {
  auto config = fast_config();
  config.backend.token_delay = 10ms;
  PtyServer s(config);
  EXPECT_EQ(error_code(call(s, request(1, "cancel"))), "not_found");
  s.client().send_json(request(2, "generate", {{"prompt", "p"}, {"max_tokens", 2000}}));
  ASSERT_TRUE(s.client().next_json().has_value());  // first token: it runs
  s.client().send_json(request(3, "cancel"));
  auto a = s.client().await(2);
  EXPECT_EQ(a.final["result"]["stop_reason"], "cancelled");
}

TEST(Server, StatusIsAnsweredDuringAGenerationAndQueuedRequestsCanBeCancelled) {
  auto config = fast_config();
  config.backend.token_delay = 10ms;
  PtyServer s(config);
  s.client().send_json(request(1, "generate", {{"prompt", "p"}, {"max_tokens", 3000}}));
  ASSERT_TRUE(s.client().next_json().has_value());  // first token: 1 runs
  s.client().send_json(request(2, "classify", {{"text", "t"}, {"labels", {"a", "b"}}}));
  s.client().send_json(request(3, "generate", {{"prompt", "q"}, {"max_tokens", 2}}));

  // Status while 1 runs: busy, 2 and 3 queued; answered without waiting for 1.
  const auto asked = std::chrono::steady_clock::now();
  s.client().send_json(request(4, "status"));
  auto st = s.client().await(4, 3000ms);
  ASSERT_EQ(st.final["ok"], true) << st.final.dump();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 2s);
  const Json& status = st.final["result"];
  EXPECT_EQ(status["state"], "busy");
  EXPECT_EQ(status["running"]["id"], 1);
  EXPECT_EQ(status["running"]["cmd"], "generate");
  EXPECT_EQ(status["queued"], Json::parse("[2,3]"));
  EXPECT_TRUE(status.contains("ota"));
  // The queued requests were told so.
  int queued_events = 0;
  for (const Json& o : st.others) {
    if (o.value("event", "") == "queued") ++queued_events;
  }
  EXPECT_EQ(queued_events, 2);

  // Cancel queued 2: it ends with "cancelled", and 3 still runs after 1.
  s.client().send_json(request(5, "cancel", {{"target", 2}}));
  auto c2 = s.client().await(2);
  EXPECT_EQ(error_code(c2.final), "cancelled");
  auto c5 = s.client().await(5);
  EXPECT_EQ(c5.final["result"]["state"], "queued");
  s.client().send_json(request(6, "cancel", {{"target", 1}}));
  auto g1 = s.client().await(1);
  EXPECT_EQ(g1.final["result"]["stop_reason"], "cancelled");
  auto g3 = s.client().await(3);
  EXPECT_EQ(g3.final["result"]["stop_reason"], "max_tokens");
  EXPECT_EQ(s.backend().classify_calls(), 0);
}

// request_reload() (what `linnet serve` calls when another agent changed the OTA store,
// or on SIGHUP): the hook runs once on the worker, after the running request and before
// the queued one, and the link and its requests go on.
TEST(Server, AReloadRunsBetweenRequestsOnceAndTheLinkStaysUp) {
  auto config = fast_config();
  config.backend.token_delay = 20ms;
  std::atomic<int> reloads{0};
  std::atomic<int> generations_seen_by_reload{-1};
  std::atomic<FakeBackend*> backend{nullptr};
  config.options.on_reload = [&] {
    ++reloads;
    generations_seen_by_reload = backend.load()->generate_calls();
  };
  PtyServer s(config);
  backend = &s.backend();
  s.client().send_json(request("g1", "generate", {{"prompt", "long"}, {"max_tokens", 10}}));
  for (;;) {  // g1 is running once its first token arrives
    auto j = s.client().next_json();
    ASSERT_TRUE(j.has_value());
    if ((*j)["id"] == "g1" && j->contains("event")) break;
  }
  s.client().send_json(request("g2", "generate", {{"prompt", "x"}, {"max_tokens", 2}}));
  for (;;) {  // g2 waits behind g1
    auto j = s.client().next_json();
    ASSERT_TRUE(j.has_value());
    if ((*j)["id"] == "g2" && j->value("event", "") == "queued") break;
  }
  s.server().request_reload();
  s.server().request_reload();  // a second request while one is pending folds into it
  auto g1 = s.client().await("g1");
  auto g2 = s.client().await("g2");
  ASSERT_EQ(g1.final["ok"], true) << g1.final.dump();
  ASSERT_EQ(g2.final["ok"], true) << g2.final.dump();
  EXPECT_EQ(reloads.load(), 1);
  EXPECT_EQ(generations_seen_by_reload.load(), 1) << "the reload ran after g1 and before g2";
  EXPECT_EQ(call(s, request(3, "ping"))["ok"], true);
  EXPECT_EQ(s.server().counters().link_losses, 0u);
}

TEST(Server, AFullQueueAnswersBusyAndIdsInUseAreRefused) {
  auto config = fast_config();
  config.backend.token_delay = 10ms;
  config.options.max_queue = 2;
  PtyServer s(config);
  s.client().send_json(request(1, "generate", {{"prompt", "p"}, {"max_tokens", 3000}}));
  ASSERT_TRUE(s.client().next_json().has_value());  // running
  s.client().send_json(request(2, "generate", {{"prompt", "p"}}));
  s.client().send_json(request(3, "generate", {{"prompt", "p"}}));
  s.client().send_json(request(4, "generate", {{"prompt", "p"}}));
  auto a4 = s.client().await(4);
  EXPECT_EQ(error_code(a4.final), "busy");
  Json dup = call(s, request(1, "ping"));
  EXPECT_EQ(error_code(dup), "bad_request");
  EXPECT_NE(dup["error"]["message"].get<std::string>().find("in progress"), std::string::npos);
  s.server().stop();
}

TEST(Server, OtaTransferBeginChunksCommitStatus) {
  PtyServer s(fast_config());
  std::vector<std::uint8_t> payload(10000);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7 + 3);
  const std::string head = FakeOtaPort::make_head(2, payload);

  Json st = call(s, request(1, "ota_status"));
  EXPECT_EQ(st["result"]["phase"], "idle");

  Json b = call(s, request(2, "ota_begin",
                           {{"head", base64_encode({reinterpret_cast<const std::uint8_t*>(head.data()),
                                                    head.size()})}}));
  ASSERT_EQ(b["ok"], true) << b.dump();
  EXPECT_EQ(b["result"]["total_bytes"], 10000);
  EXPECT_EQ(b["result"]["resume_offset"], 0);
  const std::size_t chunk = b["result"]["max_chunk_bytes"].get<std::size_t>();
  EXPECT_EQ(chunk, 4096u);  // the agent's limit, under the server's

  int id = 100;
  auto send_chunk = [&](std::size_t off, std::size_t len, bool corrupt) {
    std::vector<std::uint8_t> part(payload.begin() + static_cast<std::ptrdiff_t>(off),
                                   payload.begin() + static_cast<std::ptrdiff_t>(off + len));
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", crc32(part) ^ (corrupt ? 1u : 0u));
    return call(s, request(id++, "ota_chunk", {{"offset", off}, {"data", base64_encode(part)}, {"crc32", hex}}));
  };
  EXPECT_EQ(error_code(send_chunk(0, 100, true)), "checksum");
  EXPECT_EQ(error_code(send_chunk(50, 100, false)), "ota");  // out of order
  for (std::size_t off = 0; off < payload.size(); off += chunk) {
    Json r = send_chunk(off, std::min(chunk, payload.size() - off), false);
    ASSERT_EQ(r["ok"], true) << r.dump();
    EXPECT_EQ(r["result"]["received_bytes"], std::min(off + chunk, payload.size()));
  }
  st = call(s, request(3, "ota_status"));
  EXPECT_EQ(st["result"]["phase"], "receiving");
  EXPECT_EQ(st["result"]["received_bytes"], 10000);

  Json c = call(s, request(4, "ota_commit"));
  ASSERT_EQ(c["ok"], true) << c.dump();
  EXPECT_EQ(c["result"]["version"], 2);
  EXPECT_EQ(c["result"]["model"], "fake-model");
  EXPECT_EQ(s.ota().committed_payload(), payload);
  st = call(s, request(5, "ota_status"));
  EXPECT_EQ(st["result"]["phase"], "committed");
  EXPECT_EQ(st["result"]["active_version"], 2);

  EXPECT_EQ(call(s, request(6, "ota_abort"))["ok"], true);
  EXPECT_EQ(call(s, request(7, "ota_status"))["result"]["phase"], "idle");
  EXPECT_EQ(error_code(call(s, request(8, "ota_begin", {{"head", "bm9wZQ=="}}))), "ota");
}

TEST(Server, WithoutAnOtaAgentTheOtaCommandsAreUnsupported) {
  auto config = fast_config();
  config.with_ota = false;
  PtyServer s(config);
  for (const char* cmd : {"ota_status", "ota_commit", "ota_abort"}) {
    EXPECT_EQ(error_code(call(s, request(1, cmd))), "unsupported") << cmd;
  }
  Json info = call(s, request(2, "info"));
  for (const Json& c : info["result"]["commands"]) EXPECT_FALSE(c.get<std::string>().starts_with("ota_"));
}

TEST(Server, ProtocolErrorsGetAnErrorAndTheNextRequestIsServed) {
  auto config = fast_config();
  config.options.max_line_bytes = 2048;
  PtyServer s(config);
  auto next_error = [&]() -> Json {
    auto j = s.client().next_json();
    EXPECT_TRUE(j.has_value());
    return j ? *j : Json();
  };
  // Over the length limit.
  s.client().send(std::string(5000, 'x') + "\n");
  Json e = next_error();
  EXPECT_EQ(error_code(e), "line_too_long");
  EXPECT_TRUE(e["id"].is_null());
  // Invalid JSON, unknown command, missing and mistyped fields.
  s.client().send("{\"id\":1,\"cmd\":\n");
  EXPECT_EQ(error_code(next_error()), "bad_json");
  s.client().send_json(request(2, "explode"));
  e = next_error();
  EXPECT_EQ(error_code(e), "unknown_command");
  EXPECT_EQ(e["id"], 2);
  s.client().send_json(request(3, "classify", {{"text", "x"}}));
  EXPECT_EQ(next_error()["error"]["message"], "missing field 'labels'");
  s.client().send_json(request(4, "generate", {{"prompt", 12}}));
  EXPECT_EQ(next_error()["error"]["message"], "field 'prompt' must be a string");
  // Our own response echoed back: no answer at all; the ping after it is answered next.
  s.client().send("{\"id\":null,\"ok\":false,\"error\":{\"code\":\"bad_json\",\"message\":\"x\"}}\n");
  EXPECT_EQ(call(s, request(5, "ping"))["ok"], true);
  // Half a line, then silence: dropped with line_timeout; then served.
  s.client().send("{\"id\":6,\"cmd\":\"in");
  e = next_error();
  EXPECT_EQ(error_code(e), "line_timeout");
  EXPECT_EQ(call(s, request(7, "ping"))["ok"], true);
  // A break (NUL) resets a partial line silently.
  s.client().send(std::string("{\"id\":8,\"cm\0", 12));
  EXPECT_EQ(call(s, request(9, "ping"))["ok"], true);
  // CR line endings (a terminal's Enter) and backspace editing.
  s.client().send("{\"id\":10,\"cmd\":\"pinx\x7fg\"}\r");
  EXPECT_EQ(s.client().await(10).final["ok"], true);
  const ServerCounters counters = s.server().counters();
  EXPECT_EQ(counters.discarded_lines, 3u);  // overlong, echo, timeout
}

TEST(Server, StdioModeAnswersWhatIsQueuedThenStopsAtEndOfInput) {
  int in[2], out[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  FakeBackend backend;
  ServerOptions options;
  options.reopen_link = false;
  auto server = Server::create(backend, nullptr, [&] { return Link::borrow(in[0], out[1]); }, options);
  ASSERT_TRUE(server.ok());
  const std::string requests =
      R"({"id":1,"cmd":"generate","prompt":"p","max_tokens":3})" "\n"
      R"({"id":2,"cmd":"classify","text":"a","labels":["a","b"]})" "\n";
  ASSERT_EQ(write(in[1], requests.data(), requests.size()), static_cast<ssize_t>(requests.size()));
  close(in[1]);  // end of input
  Status st = (*server)->run();
  EXPECT_TRUE(st.ok());
  close(out[1]);
  LineClient reader(out[0]);
  auto g = reader.await(1, 2000ms);
  EXPECT_EQ(g.final["result"]["generated_tokens"], 3);
  EXPECT_EQ(g.events.size(), 3u);
  auto c = reader.await(2, 2000ms);
  EXPECT_EQ(c.final["result"]["label"], "a");
  close(in[0]);
  close(out[0]);
}

// Every command `info` lists reaches a handler that answers it (dispatch is a visit over
// the Command variant, so a command without a handler does not compile; this checks the
// run-time side: parsed by name, answered with a final line, not "unknown").
TEST(Server, EveryCommandInfoListsIsAnswered) {
  PtyServer s(fast_config());
  const std::vector<std::uint8_t> payload = {1, 2, 3};
  const std::string head = FakeOtaPort::make_head(1, payload);
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", crc32(payload));
  // A valid request for each command, in an order that makes each succeed.
  const std::vector<std::pair<std::string, Json>> valid = {
      {"info", Json::object()},
      {"ping", Json::object()},
      {"status", Json::object()},
      {"cancel", {{"target", 999}}},  // not_found: nothing has that id
      {"classify", {{"text", "spam"}, {"labels", {"spam", "ham"}}}},
      {"generate", {{"prompt", "hello"}, {"max_tokens", 1}}},
      {"ota_begin", {{"head", base64_encode({reinterpret_cast<const std::uint8_t*>(head.data()), head.size()})}}},
      {"ota_chunk", {{"offset", 0}, {"data", base64_encode(payload)}, {"crc32", crc}}},
      {"ota_status", Json::object()},
      {"ota_commit", Json::object()},
      {"ota_abort", Json::object()},
  };
  Json info = call(s, request(1, "info"));
  ASSERT_EQ(info["ok"], true) << info.dump();
  std::size_t answered = 0;
  int id = 10;
  for (const Json& listed : info["result"]["commands"]) {
    const std::string name = listed.get<std::string>();
    const auto it = std::find_if(valid.begin(), valid.end(), [&](const auto& v) { return v.first == name; });
    ASSERT_NE(it, valid.end()) << "no valid request for '" << name << "' in this test: add one";
    Json r = call(s, request(id++, name, it->second));
    ASSERT_FALSE(r.is_null()) << name;
    const std::string code = error_code(r);
    EXPECT_TRUE(code == "(ok)" || (name == "cancel" && code == "not_found")) << name << ": " << r.dump();
    ++answered;
  }
  EXPECT_EQ(answered, valid.size());
}

// The request boundary on the worker thread: a backend that throws (or calls
// Result::value() on an error) gets the request an `internal` error naming what was
// thrown, and the server goes on serving.
TEST(Server, AnExceptionInTheBackendIsAnInternalErrorAndServingGoesOn) {
  PtyServer s(fast_config());
  Json r = call(s, request(1, "generate", {{"prompt", "throw"}}));
  EXPECT_EQ(error_code(r), "internal") << r.dump();
  EXPECT_NE(r["error"]["message"].get<std::string>().find("fake generate thrown"), std::string::npos) << r.dump();
  r = call(s, request(2, "generate", {{"prompt", "value of error"}}));
  EXPECT_EQ(error_code(r), "internal") << r.dump();
  r = call(s, request(3, "classify", {{"text", "throw"}, {"labels", {"a", "b"}}}));
  EXPECT_EQ(error_code(r), "internal") << r.dump();
  EXPECT_NE(r["error"]["message"].get<std::string>().find("fake classify thrown"), std::string::npos) << r.dump();

  r = call(s, request(4, "generate", {{"prompt", "hello"}, {"max_tokens", 2}, {"stream", false}}));
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["text"], "t0 t1 ");
  r = call(s, request(5, "status"));
  EXPECT_EQ(r["result"]["state"], "idle");
  EXPECT_EQ(r["result"]["errors"], 3);
}

// The request boundary on the reader thread: the same for a command the reader answers.
TEST(Server, AnExceptionOnTheReaderIsAnInternalErrorAndServingGoesOn) {
  PtyServer s(fast_config());
  s.backend().set_throw_in_status(true);
  Json r = call(s, request(1, "status"));
  EXPECT_EQ(error_code(r), "internal") << r.dump();
  EXPECT_NE(r["error"]["message"].get<std::string>().find("fake status thrown"), std::string::npos) << r.dump();
  EXPECT_EQ(call(s, request(2, "ping"))["ok"], true);
  s.backend().set_throw_in_status(false);
  r = call(s, request(3, "status"));
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["errors"], 1);
}

// An exception on the worker outside a request (here in on_reload, which may leave the
// backend half switched) is fatal: the server stops by itself and run() reports it.
TEST(Server, AnExceptionOutsideARequestStopsTheServerCleanly) {
  auto config = fast_config();
  config.expect_run_ok = false;
  config.options.on_reload = [] { throw std::runtime_error("reload thrown"); };
  PtyServer s(config);
  EXPECT_EQ(call(s, request(1, "ping"))["ok"], true);
  s.server().request_reload();
  const std::optional<Status> ran = s.wait_for_exit();
  ASSERT_TRUE(ran.has_value()) << "the server kept running";
  ASSERT_FALSE(ran->ok());
  EXPECT_EQ(ran->error().code(), ErrorCode::kInternal);
  EXPECT_NE(ran->error().message().find("reload thrown"), std::string::npos) << ran->error().message();
}

}  // namespace
}  // namespace linnet::serve::testing
