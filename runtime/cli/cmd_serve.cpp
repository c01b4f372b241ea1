// `linnet serve`: the serial protocol server (docs/serial-protocol.md) over the real
// model, optionally with the OTA store.
//
//   linnet serve [MODEL.linnet] (--serial DEVICE [--baud N] [--rtscts] | --stdio)
//                [--store DIR --pubkey vendor.pub]
//                [--threads N] [--context N] [--kv-cache f16|int8|f32] [--packed-cache PATH]
//                [--linear linnet|xnnpack|reference] [--queue N] [--max-line BYTES] [--line-timeout MS]
//
// With --store the store's active model is served (MODEL only while the store is empty),
// and a committed update switches the server to the new model.
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/session_setup.h"
#include "ota/bundle_trial.h"
#include "ota/ota_agent.h"
#include "ota/session_self_test.h"
#include "serve/ota_agent_port.h"
#include "serve/server.h"
#include "serve/session_backend.h"

namespace linnet::cli {
namespace {

constexpr char kUsage[] =
    "usage: linnet serve [MODEL.linnet] (--serial DEVICE [--baud N] [--rtscts] | --stdio)\n"
    "                    [--store DIR --pubkey vendor.pub]\n"
    "                    [--threads N] [--context N] [--kv-cache f16|int8|f32] [--packed-cache PATH]\n"
    "                    [--linear linnet|xnnpack|reference] [--queue N] [--max-line BYTES] [--line-timeout MS]\n";

int usage(const char* problem = nullptr) {
  if (problem != nullptr) std::fprintf(stderr, "linnet serve: %s\n", problem);
  std::fputs(kUsage, stderr);
  return 2;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "linnet serve: %s\n", message.c_str());
  return 1;
}

void log_line(std::string_view message) {
  std::fprintf(stderr, "linnet serve: %.*s\n", static_cast<int>(message.size()), message.data());
}

// Closes the signalfd on every return path.
struct StopFd {
  int fd;
  ~StopFd() { close(fd); }
};

struct ServeArgs {
  std::string model;
  std::optional<std::string> serial;
  bool stdio = false;
  serve::SerialConfig serial_config;
  std::string store, pubkey;
  SessionFlags session;  // --threads, --context, --kv-cache, --packed-cache, --linear
  serve::SessionBackendOptions backend;
  serve::ServerOptions server;
};

// Parses the arguments; returns the exit code on a usage error.
std::optional<int> parse(Args args, ServeArgs& a) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view s = args[i];
    const bool has_value = i + 1 < args.size();
    int n = 0;
    switch (a.session.parse(args, i)) {
      case SessionFlags::Parse::kTaken: continue;
      case SessionFlags::Parse::kBad: return usage(("bad value for " + std::string(s)).c_str());
      case SessionFlags::Parse::kNotMine: break;
    }
    if (s == "--serial" && has_value) {
      a.serial = std::string(args[++i]);
    } else if (s == "--stdio") {
      a.stdio = true;
    } else if (s == "--baud" && has_value) {
      if (!parse_int(args[++i], n) || n < 1) return usage("--baud needs a positive number");
      a.serial_config.baud = static_cast<std::uint32_t>(n);
      if (!serve::baud_to_speed(a.serial_config.baud)) {
        termios tio{};
        return fail(serve::configure_termios(tio, a.serial_config).error().message());
      }
    } else if (s == "--rtscts") {
      a.serial_config.rtscts = true;
    } else if (s == "--store" && has_value) {
      a.store = std::string(args[++i]);
    } else if (s == "--pubkey" && has_value) {
      a.pubkey = std::string(args[++i]);
    } else if ((s == "--queue" || s == "--max-line" || s == "--line-timeout") && has_value) {
      if (!parse_int(args[++i], n) || n < 1) return usage((std::string(s) + " needs a positive number").c_str());
      if (s == "--queue") a.server.max_queue = static_cast<std::size_t>(n);
      if (s == "--max-line") a.server.max_line_bytes = static_cast<std::size_t>(n);
      if (s == "--line-timeout") a.server.line_timeout = std::chrono::milliseconds(n);
    } else if (!s.empty() && s[0] != '-' && a.model.empty()) {
      a.model = std::string(s);
    } else {
      return usage(("unexpected argument '" + std::string(s) + "'").c_str());
    }
  }
  if (a.serial.has_value() == a.stdio) return usage("give one of --serial DEVICE or --stdio");
  if (a.store.empty() != a.pubkey.empty()) return usage("--store and --pubkey go together");
  if (a.model.empty() && a.store.empty()) return usage("no MODEL.linnet (and no --store to take it from)");
  return std::nullopt;
}

}  // namespace

int run_serve(Args args) {
  ServeArgs a;
  if (auto code = parse(args, a)) return *code;
  a.backend.session = a.session.options;

  // SIGINT/SIGTERM end the server through a signalfd it polls. They are blocked first
  // thing, before the model's thread pool starts, so every thread inherits the mask (a
  // thread with them unblocked would take the default action: death without cleanup).
  // A vanished pipe reader must not kill the server either.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, nullptr);
  const int stop_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (stop_fd < 0) return fail("signalfd failed");
  const StopFd stop_fd_owner{stop_fd};

  // The OTA store decides what to serve when it has an active model.
  std::optional<ota::OtaAgent> agent;
  std::string bundle_path = a.model;
  std::string model_name;
  if (!a.store.empty()) {
    auto key = ota::PublicKey::load(a.pubkey);
    if (!key.ok()) return fail(key.error().message());
    ota::AgentOptions options;
    options.store_dir = a.store;
    options.trial_loader = ota::trial_load_bundle;
    options.self_test = [](const std::string& path, const ota::SelfTest& test) {
      return ota::run_session_self_test(path, test);
    };
    auto opened = ota::OtaAgent::open(std::move(options), std::move(key).value());
    if (!opened.ok()) return fail(opened.error().message());
    agent.emplace(std::move(opened).value());
    auto active = agent->ensure_active_loads();
    if (active.ok()) {
      bundle_path = active->bundle_path;
      model_name = active->model_name;
    } else if (a.model.empty()) {
      return fail("the store has no model that loads (" + active.error().message() + ") and no MODEL was given");
    } else {
      log_line("store " + a.store + " has no active model (" + active.error().message() + "); serving " + a.model);
    }
  }

  if (a.session.packed_cache) {
    a.backend.session.packed_weights_cache = *a.session.packed_cache;
  } else {
    a.backend.packed_cache_beside_bundle = true;
  }
  a.backend.session.log = log_line;
  auto backend = serve::SessionBackend::open(bundle_path, model_name, a.backend);
  if (!backend.ok()) return fail(backend.error().message());

  std::optional<serve::OtaAgentPort> ota_port;
  if (agent) {
    serve::SessionBackend* b = backend->get();
    ota_port.emplace(*agent, [b](const ota::ActiveModel& m) {
      log_line("update committed: switching to " + m.model_name + " v" + std::to_string(m.version));
      return b->switch_model(m.bundle_path, m.model_name);
    });
  }

  serve::ServerOptions options = a.server;
  options.stop_fd = stop_fd;
  options.log = log_line;
  serve::LinkOpener opener;
  std::string where;
  if (a.stdio) {
    options.reopen_link = false;
    opener = [] { return serve::Link::stdio(); };
    where = "stdin/stdout";
  } else {
    const std::string device = *a.serial;
    const serve::SerialConfig config = a.serial_config;
    opener = [device, config] { return serve::Link::open_serial(device, config); };
    where = device + " at " + std::to_string(config.baud) + " baud, 8N1" + (config.rtscts ? ", RTS/CTS" : "");
  }
  const serve::BackendInfo info = (*backend)->info();
  options.on_link_open = [&](const std::string&) {
    log_line("serving " + info.model_name + " (" + info.model_sha256.substr(0, 12) + ", context " +
             std::to_string(info.context_length) + ") on " + where);
  };
  auto server = serve::Server::create(**backend, ota_port ? &*ota_port : nullptr, opener, options);
  if (!server.ok()) return fail(server.error().message());
  Status ran = (*server)->run();
  if (!ran.ok()) return fail(ran.error().message());
  log_line("stopped");
  return 0;
}

}  // namespace linnet::cli
