// linnet-client: talk to `linnet serve` over a serial line from a host.
//
//   linnet-client --port /dev/ttyUSB0 [--baud 115200] [--rtscts] COMMAND [ARGS]
//     info | status | ping | ota-status | ota-abort
//     classify TEXT --labels A,B[,C...] [--system S]
//     generate PROMPT [--max-tokens N] [--temperature T] [--top-p P] [--top-k K] [--min-p P]
//                     [--repetition-penalty R] [--seed N] [--system S] [--raw]
//                     [--think|--no-think] [--no-stream]
//     cancel [ID]
//     ota-push FILE.lnu [--chunk BYTES]
//     send JSON          (any request object; prints every line that answers it)
//
// generate prints tokens as they arrive; Ctrl-C cancels the generation (the device
// stops within one token) and still prints the final counts.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ota_push.h"
#include "serial_client.h"

namespace {

using linnet::client::Json;
using linnet::client::SerialClient;

constexpr char kUsage[] =
    "usage: linnet-client --port DEVICE [--baud N] [--rtscts] COMMAND [ARGS]\n"
    "  info | status | ping | ota-status | ota-abort\n"
    "  classify TEXT --labels A,B[,...] [--system S]\n"
    "  generate PROMPT [--max-tokens N] [--temperature T] [--top-p P] [--top-k K] [--min-p P]\n"
    "                  [--repetition-penalty R] [--seed N] [--system S] [--raw] [--think|--no-think]\n"
    "                  [--no-stream]\n"
    "  cancel [ID]\n"
    "  ota-push FILE.lnu [--chunk BYTES]\n"
    "  send JSON\n";

int usage(const char* problem) {
  if (problem != nullptr) std::fprintf(stderr, "linnet-client: %s\n", problem);
  std::fputs(kUsage, stderr);
  return 2;
}

int fail(const linnet::Error& e) {
  std::fprintf(stderr, "linnet-client: %s\n", e.message().c_str());
  return 1;
}

template <typename T>
std::optional<T> number(std::string_view s) {
  T v{};
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

// Options after the command's positional argument: --name value, or --flag.
struct Flags {
  std::vector<std::string_view> positional;
  std::vector<std::pair<std::string_view, std::string_view>> values;
  std::vector<std::string_view> switches;

  std::optional<std::string_view> get(std::string_view name) const {
    for (const auto& [k, v] : values) {
      if (k == name) return v;
    }
    return std::nullopt;
  }
  bool has(std::string_view name) const {
    for (auto s : switches) {
      if (s == name) return true;
    }
    return false;
  }
};

bool is_switch(std::string_view a) {
  for (std::string_view s : {"--rtscts", "--raw", "--think", "--no-think", "--no-stream"}) {
    if (a == s) return true;
  }
  return false;
}

void print_json(const Json& j) { std::printf("%s\n", j.dump(2, ' ', false, Json::error_handler_t::replace).c_str()); }

std::string human_bytes(double b) {
  char buf[32];
  if (b >= 1 << 20) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1 << 20));
  } else if (b >= 1 << 10) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", b / (1 << 10));
  } else {
    std::snprintf(buf, sizeof buf, "%.0f B", b);
  }
  return buf;
}

// One line of progress on stderr, redrawn in place: bar, percent, bytes, rate, ETA.
class ProgressBar {
 public:
  void draw(const linnet::client::PushProgress& p) {
    if (p.committing) {
      std::fprintf(stderr, "\n  verifying, trial load and self-test on the device...\n");
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!started_) {
      started_ = now;
      start_bytes_ = p.sent_bytes;
      if (p.resumed_from > 0) std::fprintf(stderr, "resuming at %s\n", human_bytes(static_cast<double>(p.resumed_from)).c_str());
    }
    const double frac = p.total_bytes > 0 ? static_cast<double>(p.sent_bytes) / static_cast<double>(p.total_bytes) : 1.0;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(kWidth - filled), '-');
    const double secs = std::chrono::duration<double>(now - *started_).count();
    const double rate = secs > 0 ? static_cast<double>(p.sent_bytes - start_bytes_) / secs : 0;
    std::string eta = "--";
    if (rate > 0) {
      const auto left = static_cast<long>(static_cast<double>(p.total_bytes - p.sent_bytes) / rate);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%ldm%02lds", left / 60, left % 60);
      eta = buf;
    }
    std::fprintf(stderr, "\r[%s] %5.1f%%  %s / %s  %s/s  ETA %s   ", bar.c_str(), frac * 100,
                 human_bytes(static_cast<double>(p.sent_bytes)).c_str(),
                 human_bytes(static_cast<double>(p.total_bytes)).c_str(), human_bytes(rate).c_str(), eta.c_str());
    std::fflush(stderr);
  }

 private:
  std::optional<std::chrono::steady_clock::time_point> started_;
  std::uint64_t start_bytes_ = 0;
};

int run_generate(SerialClient& client, const Flags& f) {
  if (f.positional.size() != 1) return usage("generate takes one PROMPT");
  Json req = {{"cmd", "generate"}, {"prompt", std::string(f.positional[0])}};
  if (auto v = f.get("--max-tokens")) {
    auto n = number<unsigned>(*v);
    if (!n) return usage("--max-tokens needs a number");
    req["max_tokens"] = *n;
  }
  if (auto v = f.get("--top-k")) {
    auto n = number<unsigned>(*v);
    if (!n) return usage("--top-k needs a number");
    req["top_k"] = *n;
  }
  if (auto v = f.get("--seed")) {
    auto n = number<std::uint64_t>(*v);
    if (!n) return usage("--seed needs a number");
    req["seed"] = *n;
  }
  for (const auto& [flag, field] : {std::pair{"--temperature", "temperature"}, std::pair{"--top-p", "top_p"},
                                     std::pair{"--min-p", "min_p"},
                                     std::pair{"--repetition-penalty", "repetition_penalty"}}) {
    if (auto v = f.get(flag)) {
      char* end = nullptr;
      const std::string s(*v);
      const double d = std::strtod(s.c_str(), &end);
      if (end == s.c_str() || *end != '\0') return usage((std::string(flag) + " needs a number").c_str());
      req[field] = d;
    }
  }
  if (auto v = f.get("--system")) req["system"] = std::string(*v);
  if (f.has("--raw")) req["chat"] = false;
  if (f.has("--think")) req["think"] = true;
  if (f.has("--no-think")) req["think"] = false;
  const bool stream = !f.has("--no-stream");
  if (!stream) req["stream"] = false;

  // Ctrl-C becomes a cancel request instead of killing the client.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);

  linnet::client::CallOptions options;
  options.interrupt_fd = sig_fd;
  options.on_event = [](const Json& e) {
    if (e.value("event", "") == "token") {
      const std::string text = e.value("text", std::string());
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    } else if (e.value("event", "") == "queued") {
      std::fprintf(stderr, "(queued behind %d)\n", e.value("ahead", 0));
    }
  };
  auto answer = client.call(req, options);
  if (sig_fd >= 0) close(sig_fd);
  sigprocmask(SIG_UNBLOCK, &mask, nullptr);
  if (!answer.ok()) return fail(answer.error());
  auto result = SerialClient::result_of(*answer);
  if (!result.ok()) return fail(result.error());
  if (!stream) std::fputs(result->value("text", std::string()).c_str(), stdout);
  std::printf("\n");
  std::fflush(stdout);
  std::fprintf(stderr, "[%s: %u prompt + %u generated tokens, prefill %.0f ms, %.2f tokens/s]\n",
               result->value("stop_reason", std::string("?")).c_str(), result->value("prompt_tokens", 0u),
               result->value("generated_tokens", 0u), result->value("prefill_ms", 0.0),
               result->value("tokens_per_s", 0.0));
  return 0;
}

int run_classify(SerialClient& client, const Flags& f) {
  const auto labels = f.get("--labels");
  if (f.positional.size() != 1 || !labels) return usage("classify takes TEXT and --labels A,B");
  Json req = {{"cmd", "classify"}, {"text", std::string(f.positional[0])}, {"labels", split(*labels, ',')}};
  if (auto v = f.get("--system")) req["system"] = std::string(*v);
  auto answer = client.call(req);
  if (!answer.ok()) return fail(answer.error());
  auto result = SerialClient::result_of(*answer);
  if (!result.ok()) return fail(result.error());
  std::printf("%s\n", result->value("label", std::string()).c_str());
  const Json probabilities = result->value("probabilities", Json::object());
  for (const auto& [label, p] : probabilities.items()) {
    std::printf("  %-20s %.4f\n", label.c_str(), p.get<double>());
  }
  std::fflush(stdout);
  std::fprintf(stderr, "[%u prompt tokens, %.1f ms]\n", result->value("prompt_tokens", 0u),
               result->value("total_ms", 0.0));
  return 0;
}

int run_simple(SerialClient& client, Json req) {
  auto answer = client.call(std::move(req));
  if (!answer.ok()) return fail(answer.error());
  auto result = SerialClient::result_of(*answer);
  if (!result.ok()) return fail(result.error());
  print_json(*result);
  return 0;
}

int run_send(SerialClient& client, const Flags& f) {
  if (f.positional.size() != 1) return usage("send takes one JSON object");
  Json req = Json::parse(f.positional[0], nullptr, false);
  if (req.is_discarded() || !req.is_object()) return usage("send: not a JSON object");
  linnet::client::CallOptions options;
  options.on_event = [](const Json& e) { std::printf("%s\n", e.dump(-1, ' ', false, Json::error_handler_t::replace).c_str()); };
  auto answer = client.call(std::move(req), options);
  if (!answer.ok()) return fail(answer.error());
  std::printf("%s\n", answer->dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
  return answer->value("ok", false) ? 0 : 1;
}

int run_ota_push(SerialClient& client, const Flags& f) {
  if (f.positional.size() != 1) return usage("ota-push takes one FILE.lnu");
  linnet::client::PushOptions options;
  if (auto v = f.get("--chunk")) {
    auto n = number<std::size_t>(*v);
    if (!n || *n == 0) return usage("--chunk needs a positive number");
    options.chunk_bytes = *n;
  }
  ProgressBar bar;
  options.on_progress = [&](const linnet::client::PushProgress& p) { bar.draw(p); };
  auto result = linnet::client::push_update(client, std::string(f.positional[0]), options);
  if (!result.ok()) {
    std::fprintf(stderr, "\n");
    return fail(result.error());
  }
  std::printf("installed %s version %llu\n", result->value("model", std::string()).c_str(),
              static_cast<unsigned long long>(result->value("version", std::uint64_t{0})));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  std::string port;
  linnet::serve::SerialConfig config;
  std::optional<std::string_view> command;
  Flags flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a.starts_with("--") && !is_switch(a)) {
      if (i + 1 >= args.size()) return usage(("missing value after " + std::string(a)).c_str());
      const std::string_view v = args[++i];
      if (a == "--port") {
        port = v;
      } else if (a == "--baud") {
        auto n = number<std::uint32_t>(v);
        if (!n) return usage("--baud needs a number");
        config.baud = *n;
      } else {
        flags.values.emplace_back(a, v);
      }
    } else if (a == "--rtscts") {
      config.rtscts = true;
    } else if (is_switch(a)) {
      flags.switches.push_back(a);
    } else if (!command) {
      command = a;
    } else {
      flags.positional.push_back(a);
    }
  }
  if (port.empty()) return usage("--port is required");
  if (!command) return usage("no command");

  auto opened = SerialClient::open(port, config);
  if (!opened.ok()) return fail(opened.error());
  SerialClient& client = *opened;

  const std::string_view c = *command;
  if (c == "info" || c == "status" || c == "ping") return run_simple(client, {{"cmd", c}});
  if (c == "ota-status") return run_simple(client, {{"cmd", "ota_status"}});
  if (c == "ota-abort") return run_simple(client, {{"cmd", "ota_abort"}});
  if (c == "cancel") {
    Json req = {{"cmd", "cancel"}};
    if (!flags.positional.empty()) {
      auto n = number<std::int64_t>(flags.positional[0]);
      req["target"] = n ? Json(*n) : Json(std::string(flags.positional[0]));
    }
    return run_simple(client, req);
  }
  if (c == "classify") return run_classify(client, flags);
  if (c == "generate") return run_generate(client, flags);
  if (c == "ota-push") return run_ota_push(client, flags);
  if (c == "send") return run_send(client, flags);
  return usage(("unknown command " + std::string(c)).c_str());
}
