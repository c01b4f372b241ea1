// `linnet serve`: the serial protocol server (docs/serial-protocol.md) over the real
// model, optionally with the OTA store.
//
//   linnet serve [MODEL.linnet] (--serial DEVICE [--baud N] [--rtscts] | --stdio)
//                [--store DIR --pubkey vendor.pub]
//                [--threads N] [--context N] [--kv-cache f16|int8|f32] [--packed-cache PATH] [--skip-verify]
//                [--linear linnet|xnnpack|reference] [--queue N] [--max-line BYTES] [--line-timeout MS]
//
// With --store the store's active model is served (MODEL only while the store is empty),
// and a committed update switches the server to the new model: one pushed over the
// serial line, or one another agent committed to the store (`linnet ota install|rollback`
// run by a fleet manager, docs/fleet.md). The server holds the store's lock only while
// it runs an OTA call, watches the store's state record (inotify), and re-reads it on
// SIGHUP too; when the active slot changed it switches models between requests, without
// closing the serial link.
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>

#include "runtime/cli/cli_args.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/session_setup.h"
#include "runtime/core/boundary.h"
#include "runtime/ota/bundle_trial.h"
#include "runtime/ota/ota_agent.h"
#include "runtime/ota/session_self_test.h"
#include "runtime/serve/ota_agent_port.h"
#include "runtime/serve/server.h"
#include "runtime/serve/session_backend.h"

namespace linnet::cli {
namespace {

constexpr char kUsage[] =
    "usage: linnet serve [MODEL.linnet] (--serial DEVICE [--baud N] [--rtscts] | --stdio)\n"
    "                    [--store DIR --pubkey vendor.pub]\n"
    "                    [--threads N] [--context N] [--kv-cache f16|int8|f32] [--packed-cache PATH] [--skip-verify]\n"
    "                    [--linear linnet|xnnpack|reference] [--queue N] [--max-line BYTES] [--line-timeout MS]\n";

int usage(const std::string& problem) { return Usage{"serve", kUsage}.error(problem); }

int fail(const std::string& message) {
  std::fprintf(stderr, "linnet serve: %s\n", message.c_str());
  return 1;
}

void log_line(std::string_view message) {
  std::fprintf(stderr, "linnet serve: %.*s\n", static_cast<int>(message.size()), message.data());
}

// Closes a descriptor on every return path.
struct StopFd {
  int fd;
  ~StopFd() {
    if (fd >= 0) close(fd);
  }
};

// What the server serves from the store: the slot and the bundle's SHA-256 (worker
// thread only once the server runs).
struct Served {
  int slot = ota::kNoSlot;
  std::array<std::uint8_t, 32> sha256{};
};

ota::AgentOptions agent_options(const std::string& store) {
  ota::AgentOptions options;
  options.store_dir = store;
  options.trial_loader = ota::trial_load_bundle;
  options.self_test = [](const std::string& path, const ota::SelfTest& test) {
    return ota::run_session_self_test(path, test);
  };
  options.log = log_line;
  return options;
}

// Watches the store for a changed state record (inotify: the record is replaced by a
// rename) and for SIGHUP, and asks the server to reload; a short quiet period folds the
// burst of records one update writes into one reload. Ends when `quit_fd` is written.
void watch_store(int inotify_fd, int hup_fd, int quit_fd, serve::Server& server) {
  constexpr int kQuietMs = 200;
  bool pending = false;
  for (;;) {
    pollfd fds[3] = {{inotify_fd, POLLIN, 0}, {hup_fd, POLLIN, 0}, {quit_fd, POLLIN, 0}};
    const int r = ::poll(fds, 3, pending ? kQuietMs : -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      log_line(std::string("store watch stopped: poll: ") + std::strerror(errno));
      return;
    }
    if ((fds[2].revents & POLLIN) != 0) return;
    if (r == 0) {  // quiet since the last change
      pending = false;
      server.request_reload();
      continue;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      while (::read(hup_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      }
      log_line("SIGHUP: re-reading the store");
      pending = false;
      server.request_reload();
    }
    if ((fds[0].revents & POLLIN) != 0) {
      alignas(inotify_event) char buffer[4096];
      ssize_t n;
      while ((n = ::read(inotify_fd, buffer, sizeof buffer)) > 0) {
        for (ssize_t at = 0; at < n;) {
          const auto* e = reinterpret_cast<const inotify_event*>(buffer + at);
          if (e->len > 0 && std::strcmp(e->name, "state") == 0) pending = true;
          at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
        }
      }
    }
  }
}

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
  if (wants_help(args)) return Usage{"serve", kUsage}.help();
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view s = args[i];
    const bool has_value = i + 1 < args.size();
    int n = 0;
    const FlagParse session_parsed = a.session.parse(args, i);
    if (session_parsed.kind == FlagParse::Kind::kBad) return usage(session_parsed.problem);
    if (session_parsed.kind == FlagParse::Kind::kTaken) continue;
    const bool takes_value = s == "--serial" || s == "--baud" || s == "--store" || s == "--pubkey" ||
                             s == "--queue" || s == "--max-line" || s == "--line-timeout";
    if (takes_value && !has_value) return usage(missing_value(s));
    if (s == "--serial" && has_value) {
      a.serial = std::string(args[++i]);
    } else if (s == "--stdio") {
      a.stdio = true;
    } else if (s == "--baud" && has_value) {
      if (auto problem = read_int(s, args[++i], 1, n)) return usage(*problem);
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
      if (auto problem = read_int(s, args[++i], 1, n)) return usage(*problem);
      if (s == "--queue") a.server.max_queue = static_cast<std::size_t>(n);
      if (s == "--max-line") a.server.max_line_bytes = static_cast<std::size_t>(n);
      if (s == "--line-timeout") a.server.line_timeout = std::chrono::milliseconds(n);
    } else if (!s.empty() && s[0] != '-' && a.model.empty()) {
      a.model = std::string(s);
    } else {
      return usage(unknown_argument(s));
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
  a.backend.model = a.session.model;  // every bundle served is hashed at load unless --skip-verify

  // SIGINT/SIGTERM end the server through a signalfd it polls; SIGHUP makes it re-read
  // the store. They are blocked first thing, before the model's thread pool starts, so
  // every thread inherits the mask (a thread with them unblocked would take the default
  // action: death without cleanup). A vanished pipe reader must not kill the server either.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  sigset_t blocked = mask;
  sigaddset(&blocked, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, nullptr);
  const int stop_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (stop_fd < 0) return fail("signalfd failed");
  const StopFd stop_fd_owner{stop_fd};
  const int hup_fd = signalfd(-1, &hup, SFD_CLOEXEC | SFD_NONBLOCK);
  if (hup_fd < 0) return fail("signalfd failed");
  const StopFd hup_fd_owner{hup_fd};

  // The OTA store decides what to serve when it has an active model. The agent is open
  // (holding the store's lock) only for this check and, later, for each OTA call.
  std::string bundle_path = a.model;
  std::string model_name;
  Served served;
  std::string public_pem;  // the vendor key, read once: each OTA call opens the agent with it
  if (!a.store.empty()) {
    std::ifstream pem_file(a.pubkey, std::ios::binary);
    public_pem.assign(std::istreambuf_iterator<char>(pem_file), {});
    auto key = ota::PublicKey::load(a.pubkey);
    if (!key.ok()) return fail(key.error().message());
    auto opened = ota::OtaAgent::open(agent_options(a.store), std::move(key).value());
    if (!opened.ok()) return fail(opened.error().message());
    auto active = opened->ensure_active_loads();
    if (active.ok()) {
      bundle_path = active->bundle_path;
      model_name = active->model_name;
      served.slot = active->slot;
      served.sha256 = opened->state().slots[static_cast<std::size_t>(active->slot)].bundle_sha256;
    } else if (a.model.empty()) {
      return fail("the store has no model that loads (" + active.error().message() + ") and no MODEL was given");
    } else {
      log_line("store " + a.store + " has no active model (" + active.error().message() + "); serving " + a.model);
    }
  }

  if (a.session.packed_cache) {
    a.backend.session.executor.packed_weights_cache = *a.session.packed_cache;
  } else {
    a.backend.packed_cache_beside_bundle = true;
  }
  a.backend.session.executor.log = log_line;
  // A bundle from the store was just hashed by the agent's trial load (ensure_active_loads).
  auto backend = serve::SessionBackend::open(bundle_path, model_name, a.backend,
                                             /*hashed_by_caller=*/served.slot != ota::kNoSlot);
  if (!backend.ok()) return fail(backend.error().message());

  std::optional<serve::OtaAgentPort> ota_port;
  serve::SessionBackend* b = backend->get();
  if (!a.store.empty()) {
    const std::string store = a.store;
    ota_port.emplace(
        store,
        [store, public_pem]() -> Result<ota::OtaAgent> {
          auto key = ota::PublicKey::from_pem(public_pem);
          if (!key.ok()) return std::move(key).error();
          return ota::OtaAgent::open(agent_options(store), std::move(key).value());
        },
        [b, &served, store](const ota::ActiveModel& m) {
          log_line("update committed: switching to " + m.model_name + " v" + std::to_string(m.version));
          // commit() trial-loaded it with its SHA-256 checked a moment ago.
          Status switched = b->switch_model(m.bundle_path, m.model_name, /*hashed_by_caller=*/true);
          if (switched.ok()) {
            auto state = ota::OtaAgent::read_state(store);
            served.slot = m.slot;
            if (state.ok()) served.sha256 = state->slots[static_cast<std::size_t>(m.slot)].bundle_sha256;
          }
          return switched;
        });
  }

  // After another agent changed the store (or on SIGHUP): serve its active model if it
  // is not the one being served. Runs on the worker thread, between requests.
  auto reload = [&a, &served, &ota_port, b] {
    if (a.store.empty()) {
      log_line("reload: nothing to re-read (no --store); still serving " + b->info().model_name);
      return;
    }
    ota_port->refresh();
    auto state = ota::OtaAgent::read_state(a.store);
    if (!state.ok()) {
      log_line("reload: cannot read the store's state (" + state.error().message() + "); the model is unchanged");
      return;
    }
    const int slot = state->active_slot;
    if (slot == ota::kNoSlot) return;
    const ota::SlotRecord& record = state->slots[static_cast<std::size_t>(slot)];
    if (slot == served.slot && record.bundle_sha256 == served.sha256) return;
    const std::string path =
        a.store + "/slot-" + std::string(ota::slot_name(slot)) + ".linnet";
    const std::string what = record.model_name + " v" + std::to_string(record.version);
    log_line("the store's active model is now " + what + " (slot " + std::string(ota::slot_name(slot)) +
             "): switching to it");
    Status switched = b->switch_model(path, record.model_name);
    if (!switched.ok()) {
      log_line("switching to " + what + " failed: " + switched.error().message());
      return;
    }
    served.slot = slot;
    served.sha256 = record.bundle_sha256;
    log_line("now serving " + what);
  };

  serve::ServerOptions options = a.server;
  options.stop_fd = stop_fd;
  options.log = log_line;
  options.on_reload = reload;
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

  // The store watch: inotify on the store directory (the state record is replaced by a
  // rename), and SIGHUP.
  const int inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd < 0) return fail(std::string("inotify_init1: ") + std::strerror(errno));
  const StopFd inotify_owner{inotify_fd};
  if (!a.store.empty() && inotify_add_watch(inotify_fd, a.store.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    return fail("cannot watch the store " + a.store + ": " + std::strerror(errno));
  }
  const int quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (quit_fd < 0) return fail(std::string("eventfd: ") + std::strerror(errno));
  const StopFd quit_owner{quit_fd};
  serve::Server& running = **server;
  // The watcher's boundary: an exception ends the watch like a failed poll does (logged;
  // the server serves on, without noticing store changes).
  std::thread watcher([&] {
    at_thread_entry(
        "store watch", [&] { watch_store(inotify_fd, hup_fd, quit_fd, running); },
        [](const Error& error) noexcept {
          log_line(error.message());
          log_line("the store is no longer watched");
        });
  });
  Status ran = (*server)->run();
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(quit_fd, &one, sizeof one);
  watcher.join();
  if (!ran.ok()) return fail(ran.error().message());
  log_line("stopped");
  return 0;
}

}  // namespace linnet::cli
