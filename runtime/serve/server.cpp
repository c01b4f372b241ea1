#include "runtime/serve/server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <variant>

#include "runtime/core/boundary.h"
#include "runtime/core/process_memory.h"
#include "linnet/boards_generated.h"
#include "runtime/serve/utf8_joiner.h"

#ifndef LINNET_VERSION
#define LINNET_VERSION "unknown"
#endif

namespace linnet::serve {
namespace {

using Clock = std::chrono::steady_clock;

// A visitor from lambdas, one per Command alternative (no catch-all: a command without a
// handler does not compile).
template <typename... Handlers>
struct Overloaded : Handlers... {
  using Handlers::operator()...;
};

template <typename T, typename... Ts>
concept OneOf = (std::is_same_v<T, Ts> || ...);

// Where each command is answered: the reader thread answers the quick ones itself; the
// worker runs the queued ones (docs/serial-protocol.md). Server::dispatch and
// Server::run_job each visit every alternative.
template <typename C>
concept QueuedCommand = OneOf<C, ClassifyCommand, GenerateCommand, OtaCommitCommand>;
template <typename C>
concept AnsweredOnReader = OneOf<C, InfoCommand, PingCommand, StatusCommand, CancelCommand, OtaBeginCommand,
                                 OtaChunkCommand, OtaStatusCommand, OtaAbortCommand>;

template <typename Variant, typename Check>
constexpr bool every_alternative(Check check) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return (check.template operator()<std::variant_alternative_t<I, Variant>>() && ...);
  }(std::make_index_sequence<std::variant_size_v<Variant>>{});
}
static_assert(every_alternative<Command>([]<typename C>() { return QueuedCommand<C> != AnsweredOnReader<C>; }),
              "every command is either queued or answered on the reader thread: place a new one in exactly one "
              "list, then give it a handler in Server::dispatch (and in run_job if queued)");

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Timings go out to the microsecond ("214.575", not "214.57490900000002"). Dividing by
// the scale (not multiplying by a step) gives the double nearest the decimal value.
double rounded(double value, double scale = 1000.0) { return std::round(value * scale) / scale; }

// {"method":"greedy","repetition_penalty":1} or {"method":"sample","temperature":0.7,...,"seed":1}.
// Parameters to 6 decimals, so a request's 0.9 (held as a float) reads back as 0.9.
ResponseJson sampling_json(const SamplingUsed& s) {
  constexpr double kScale = 1e6;
  if (s.greedy) return {{"method", "greedy"}, {"repetition_penalty", rounded(s.repetition_penalty, kScale)}};
  return {{"method", "sample"},
          {"temperature", rounded(s.temperature, kScale)},
          {"top_k", s.top_k},
          {"top_p", rounded(s.top_p, kScale)},
          {"min_p", rounded(s.min_p, kScale)},
          {"repetition_penalty", rounded(s.repetition_penalty, kScale)},
          {"seed", s.seed}};
}

// Largest OTA chunk whose request still fits in a line: base64 takes 4 characters per
// 3 bytes, and the rest of the request (id, cmd, offset, crc32) under 200 bytes.
std::size_t ota_chunk_limit(std::size_t max_line_bytes) {
  const std::size_t fits = (max_line_bytes - 200) / 4 * 3;
  return std::min(kMaxOtaChunkBytes, fits);
}

ProtocolError model_error_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::kCancelled: return ProtocolError::kCancelled;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kOutOfRange: return ProtocolError::kBadRequest;
    case ErrorCode::kNumeric: return ProtocolError::kNumeric;
    default: return ProtocolError::kBackend;
  }
}

ResponseJson ota_status_json(const OtaStatus& s) {
  return {{"phase", ota_phase_name(s.phase)},
          {"received_bytes", s.received_bytes},
          {"total_bytes", s.total_bytes},
          {"active_model", s.active_model},
          {"active_version", s.active_version},
          {"last_error", s.last_error},
          {"store", s.store},
          {"store_note", s.store_note}};
}

}  // namespace

Result<std::unique_ptr<Server>> Server::create(Backend& backend, OtaPort* ota, LinkOpener open_link,
                                               ServerOptions options) {
  if (options.max_line_bytes < kMinMaxLineBytes) {
    return Error(ErrorCode::kInvalidArgument,
                 "max line length must be at least " + std::to_string(kMinMaxLineBytes) + " bytes");
  }
  if (options.max_queue < 1) return Error(ErrorCode::kInvalidArgument, "queue length must be at least 1");
  if (options.noise.burst < 1 || options.noise.interval.count() <= 0) {
    return Error(ErrorCode::kInvalidArgument, "the noise limit needs a burst of at least 1 and a positive interval");
  }
  if (options.line_timeout.count() <= 0 || options.write_timeout.count() <= 0) {
    return Error(ErrorCode::kInvalidArgument, "timeouts must be positive");
  }
  if (!open_link) return Error(ErrorCode::kInvalidArgument, "no link opener");
  const int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) return Error(ErrorCode::kIo, std::string("eventfd: ") + std::strerror(errno));
  return std::unique_ptr<Server>(
      new Server(backend, ota, std::move(open_link), std::move(options), wake_fd));
}

Server::Server(Backend& backend, OtaPort* ota, LinkOpener open_link, ServerOptions options,
               int wake_fd)
    : backend_(backend),
      ota_(ota),
      open_link_(std::move(open_link)),
      options_(std::move(options)),
      parse_limits_{ota_chunk_limit(options_.max_line_bytes)},
      wake_fd_(wake_fd),
      started_(Clock::now()),
      writer_(options_.write_timeout),
      framer_(options_.max_line_bytes),
      noise_(options_.noise) {}

Server::~Server() {
  stop();
  if (worker_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      worker_exit_ = true;
    }
    work_cv_.notify_all();
    worker_.join();
  }
  ::close(wake_fd_);
}

void Server::stop() {
  stopping_.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void Server::request_reload() {
  {
    std::lock_guard lock(mutex_);
    reload_pending_ = true;
  }
  work_cv_.notify_one();
}

ServerCounters Server::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

void Server::note(std::string_view message) const {
  if (options_.log) options_.log(message);
}

void Server::send(std::string_view line) { writer_.write_line(line); }

void Server::send_error(const RequestId& id, ProtocolError code, std::string_view message) {
  writer_.write_line(counted_error(id, code, message));
}

void Server::send_noise_error(ProtocolError code, std::string_view message) {
  if (noise_.admit(Clock::now())) {
    send_error({}, code, message);
    return;
  }
  std::lock_guard lock(mutex_);
  ++counters_.unanswered_lines;
}

void Server::send_noise_summary(bool force) {
  const std::uint64_t count = force ? noise_.take_pending() : noise_.take_summary(Clock::now());
  if (count == 0) return;
  send_error({}, ProtocolError::kUnanswered,
             std::to_string(count) + (count == 1 ? " unreadable line was" : " unreadable lines were") +
                 " not answered (noise limit: " + std::to_string(options_.noise.burst) + " errors, then 1 per " +
                 std::to_string(options_.noise.interval.count()) + " ms)");
}

std::string Server::counted_error(const RequestId& id, ProtocolError code, std::string_view message) {
  {
    std::lock_guard lock(mutex_);
    ++counters_.errors;
  }
  return error_line(id, code, message);
}

// ---------------------------------------------------------------------------------
// Reader thread

Status Server::run() {
  auto link = open_link_();
  if (!link.ok()) return std::move(link).error();
  link_ = std::move(link).value();
  writer_.attach(link_->write_fd());
  if (options_.on_link_open) options_.on_link_open(link_->name());
  worker_ = std::thread([this] { worker_entry(); });
  std::optional<Error> reader_failure;
  // The reader's boundary (run() is its entry): an exception outside a request stops the
  // server cleanly; requests have their own boundary (handle_line).
  try {
    read_loop();
    if (input_ended_ && !stopping_.load()) drain_then_stop();
  } catch (...) {
    reader_failure = current_exception_error("serial server: reader thread");
    note("fatal: " + reader_failure->message() + "; stopping");
  }
  try {
    shutdown();
  } catch (...) {
    if (!reader_failure) reader_failure = current_exception_error("serial server: shutdown");
    stopping_.store(true);
    {
      std::lock_guard lock(mutex_);
      worker_exit_ = true;
    }
    work_cv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }
  if (reader_failure) return std::move(*reader_failure);
  std::lock_guard lock(mutex_);
  if (worker_failure_) return *worker_failure_;
  return ok_status();
}

void Server::read_loop() {
  std::vector<FrameEvent> events;
  char buffer[4096];
  Clock::time_point last_byte = Clock::now();
  while (!stopping_.load() && !input_ended_) {
    if (!link_ && !reopen()) continue;

    // Wake for input, stop, a partial line's timeout, and once a second to notice a
    // writer that failed while no input came.
    int timeout_ms = 1000;
    if (framer_.has_partial()) {
      const auto left = options_.line_timeout - std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    Clock::now() - last_byte);
      timeout_ms = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 1000));
    }
    if (const auto due = noise_.summary_due(); due != Clock::time_point::max()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(due - Clock::now());
      timeout_ms = std::min(timeout_ms, static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 1000)));
    }
    pollfd fds[3] = {{link_->read_fd(), POLLIN, 0}, {wake_fd_, POLLIN, 0}, {options_.stop_fd, POLLIN, 0}};
    const int r = ::poll(fds, options_.stop_fd >= 0 ? 3 : 2, timeout_ms);
    if (r < 0 && errno != EINTR) {
      link_lost(std::string("poll: ") + std::strerror(errno));
      continue;
    }
    if (r > 0 && ((fds[1].revents & POLLIN) != 0 || (fds[2].revents & POLLIN) != 0)) break;

    if (r > 0 && fds[0].revents != 0) {
      bool lost = false;
      std::string why;
      for (;;) {
        const ssize_t n = ::read(link_->read_fd(), buffer, sizeof buffer);
        if (n > 0) {
          framer_.feed(std::span<const char>(buffer, static_cast<std::size_t>(n)), events);
          last_byte = Clock::now();
          if (static_cast<std::size_t>(n) < sizeof buffer) break;
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          // A hang-up with nothing left to read (a pty whose other side closed).
          if ((fds[0].revents & (POLLHUP | POLLERR)) != 0 && (fds[0].revents & POLLIN) == 0) {
            lost = true;
            why = "hang-up";
          }
          break;
        }
        lost = true;
        why = n == 0 ? "end of input" : std::string("read: ") + std::strerror(errno);
        break;
      }
      for (FrameEvent& e : events) {
        if (e.kind == FrameEvent::Kind::kLine) {
          handle_line(e.line);
        } else {
          {
            std::lock_guard lock(mutex_);
            ++counters_.discarded_lines;
          }
          send_noise_error(ProtocolError::kLineTooLong,
                           "line of " + std::to_string(e.discarded_bytes) + " bytes discarded (limit " +
                               std::to_string(options_.max_line_bytes) + ")");
        }
      }
      events.clear();
      if (lost) {
        link_lost(why);
        continue;
      }
    }

    send_noise_summary(false);
    if (framer_.has_partial() && Clock::now() - last_byte >= options_.line_timeout) {
      // Not limited: each needs line_timeout of silence, so they never come in a flood.
      send_noise_summary(true);
      const std::size_t dropped = framer_.drop_partial();
      {
        std::lock_guard lock(mutex_);
        ++counters_.discarded_lines;
      }
      send_error({}, ProtocolError::kLineTimeout,
                 "partial line of " + std::to_string(dropped) + " bytes dropped after " +
                     std::to_string(options_.line_timeout.count()) + " ms of silence");
    }
    if (writer_.failed()) link_lost("write failed");
  }
}

// Waits reconnect_interval (or a stop), then tries to open the link again.
bool Server::reopen() {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {options_.stop_fd, POLLIN, 0}};
  const int r = ::poll(fds, options_.stop_fd >= 0 ? 2 : 1,
                       static_cast<int>(options_.reconnect_interval.count()));
  if (r > 0) {
    stopping_.store(true);
    return false;
  }
  auto link = open_link_();
  if (!link.ok()) return false;
  link_ = std::move(link).value();
  framer_.drop_partial();
  writer_.attach(link_->write_fd());
  note("link reopened: " + link_->name());
  if (options_.on_link_open) options_.on_link_open(link_->name());
  return true;
}

void Server::link_lost(std::string_view why) {
  note("link lost (" + std::string(why) + ")");
  if (!options_.reopen_link) {
    // stdio: the answers to what is queued can still go out (stdout may be open).
    input_ended_ = true;
    return;
  }
  writer_.attach(-1);
  link_.reset();
  framer_.drop_partial();
  noise_.take_pending();  // counted on the link that is gone: not news to the next client
  std::lock_guard lock(mutex_);
  ++counters_.link_losses;
  queue_.clear();  // nobody is there to receive the answers
  if (running_) running_->cancel->cancel();
}

void Server::drain_then_stop() {
  std::unique_lock lock(mutex_);
  while ((!queue_.empty() || running_) && !writer_.failed()) {
    lock.unlock();
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {options_.stop_fd, POLLIN, 0}};
    if (::poll(fds, options_.stop_fd >= 0 ? 2 : 1, 0) > 0) return;
    lock.lock();
    idle_cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

void Server::shutdown() {
  stopping_.store(true);
  std::deque<Job> dropped;
  {
    std::lock_guard lock(mutex_);
    dropped.swap(queue_);
    if (running_) running_->cancel->cancel();
    worker_exit_ = true;
  }
  work_cv_.notify_all();
  for (const Job& job : dropped) {
    send_error(job.request.id, ProtocolError::kShuttingDown, "the server is stopping");
  }
  if (worker_.joinable()) worker_.join();
  writer_.attach(-1);
  link_.reset();
}

void Server::handle_line(std::string_view line) {
  ParsedLine parsed = parse_request(line, parse_limits_);
  if (auto* error = std::get_if<RequestError>(&parsed); error != nullptr && error->id.empty()) {
    send_noise_error(error->code, error->message);
    return;
  }
  if (!std::holds_alternative<EchoedResponse>(parsed)) {
    send_noise_summary(true);  // a readable line: the noise is over, say what it cost first
  }
  if (auto* error = std::get_if<RequestError>(&parsed)) {
    send_error(error->id, error->code, error->message);
    return;
  }
  if (std::holds_alternative<EchoedResponse>(parsed)) {
    std::lock_guard lock(mutex_);
    ++counters_.discarded_lines;
    return;
  }
  Request& request = std::get<Request>(parsed);
  const RequestId id = request.id;
  const std::string_view cmd = command_name(request.command);
  try {
    handle_request(std::move(request));
  } catch (...) {
    const Error error = current_exception_error(std::string(cmd));
    note("internal error answering request " + id.to_string() + ": " + error.message());
    send_error(id, ProtocolError::kInternal, error.message());
  }
}

void Server::handle_request(Request request) {
  const RequestId& id = request.id;
  {
    std::lock_guard lock(mutex_);
    ++counters_.requests;
    const bool in_use =
        (running_ && running_->id == id) ||
        std::any_of(queue_.begin(), queue_.end(), [&](const Job& j) { return j.request.id == id; });
    if (in_use) {
      ++counters_.errors;
      writer_.write_line(error_line(id, ProtocolError::kBadRequest,
                                    "id " + id.to_string() + " belongs to a request still in progress"));
      return;
    }
  }
  dispatch(request);
}

Server::Answered Server::dispatch(Request& request) {
  const RequestId& id = request.id;
  return std::visit(
      Overloaded{
          [&](const InfoCommand&) { return answer(ok_line(id, info_json())); },
          [&](const PingCommand&) { return answer(ok_line(id, ResponseJson::object())); },
          [&](const StatusCommand&) { return answer(ok_line(id, status_json())); },
          [&](const CancelCommand& c) { return handle_cancel(id, c); },
          [&](const ClassifyCommand&) { return enqueue(std::move(request)); },
          [&](const GenerateCommand&) { return enqueue(std::move(request)); },
          [&](const OtaCommitCommand&) {
            if (ota_ == nullptr) return answer_error(id, ProtocolError::kUnsupported, "this server has no OTA agent");
            return enqueue(std::move(request));
          },
          [&](const OtaStatusCommand&) {
            if (ota_ == nullptr) return answer_error(id, ProtocolError::kUnsupported, "this server has no OTA agent");
            return answer(ok_line(id, ota_status_json(ota_->status())));
          },
          [&](const OtaBeginCommand& c) {
            return ota_step(id, [&](OtaPort& ota) {
              auto r = ota.begin(c.head);
              if (!r.ok()) return answer_error(id, ProtocolError::kOta, r.error().message());
              std::size_t max_chunk = parse_limits_.max_ota_chunk_bytes;
              if (r->max_chunk_bytes > 0) max_chunk = std::min<std::size_t>(max_chunk, r->max_chunk_bytes);
              return answer(ok_line(id, {{"total_bytes", r->total_bytes},
                                         {"resume_offset", r->resume_offset},
                                         {"max_chunk_bytes", max_chunk}}));
            });
          },
          [&](const OtaChunkCommand& c) {
            return ota_step(id, [&](OtaPort& ota) {
              auto r = ota.chunk(c.offset, c.data);
              if (!r.ok()) return answer_error(id, ProtocolError::kOta, r.error().message());
              return answer(ok_line(id, {{"received_bytes", *r}}));
            });
          },
          [&](const OtaAbortCommand&) {
            return ota_step(id, [&](OtaPort& ota) {
              auto r = ota.abort();
              if (!r.ok()) return answer_error(id, ProtocolError::kOta, r.error().message());
              return answer(ok_line(id, ResponseJson::object()));
            });
          },
      },
      request.command);
}

template <typename Step>
Server::Answered Server::ota_step(const RequestId& id, Step&& step) {
  if (ota_ == nullptr) return answer_error(id, ProtocolError::kUnsupported, "this server has no OTA agent");
  if (commit_running_.load()) return answer_error(id, ProtocolError::kBusy, "an OTA commit is running");
  return step(*ota_);
}

Server::Answered Server::answer(std::string_view line) {
  send(line);
  return {};
}

Server::Answered Server::answer_error(const RequestId& id, ProtocolError code, std::string_view message) {
  send_error(id, code, message);
  return {};
}

Server::Answered Server::enqueue(Request request) {
  std::lock_guard lock(mutex_);
  if (queue_.size() >= options_.max_queue) {
    ++counters_.errors;
    writer_.write_line(error_line(request.id, ProtocolError::kBusy,
                                  "the queue is full (" + std::to_string(queue_.size()) +
                                      " requests waiting); retry later"));
    return {};
  }
  const std::size_t ahead = queue_.size() + (running_ ? 1 : 0);
  // Written under mutex_, so the worker cannot start the request (and stream its
  // tokens) before this line is out.
  if (ahead > 0) writer_.write_line(event_line(request.id, "queued", {{"ahead", ahead}}));
  queue_.push_back(Job{std::move(request), std::make_shared<CancelToken>()});
  work_cv_.notify_one();
  return {};  // the worker sends the final line
}

Server::Answered Server::handle_cancel(const RequestId& id, const CancelCommand& command) {
  std::optional<Job> removed;
  RequestId target;
  std::string_view state;
  {
    std::lock_guard lock(mutex_);
    if (command.target) {
      target = *command.target;
    } else if (running_) {
      target = running_->id;
    }
    if (running_ && running_->id == target) {
      // The answer goes out before the token is signalled, under mutex_: the
      // worker cannot write the cancelled final line ahead of it (the documented order).
      send(ok_line(id, {{"target", target.to_json()}, {"state", "running"}}));
      running_->cancel->cancel();
      return {};
    } else if (!target.empty()) {
      auto it = std::find_if(queue_.begin(), queue_.end(),
                             [&](const Job& j) { return j.request.id == target; });
      if (it != queue_.end()) {
        removed = std::move(*it);
        queue_.erase(it);
        state = "queued";
      }
    }
  }
  if (state.empty()) {
    return answer_error(id, ProtocolError::kNotFound,
                        command.target ? "no queued or running request has id " + target.to_string()
                                       : std::string("nothing is running"));
  }
  if (removed) {
    send_error(target, ProtocolError::kCancelled, "cancelled by request " + id.to_string());
  }
  return answer(ok_line(id, {{"target", target.to_json()}, {"state", state}}));
}

ResponseJson Server::info_json() const {
  const BackendInfo info = backend_.info();
  ResponseJson commands = ResponseJson::array();
  for (std::string_view name : command_names()) {
    if (ota_ == nullptr && name.starts_with("ota_")) continue;
    commands.push_back(name);
  }
  const auto rss = read_resident_memory();
  ResponseJson out = {
      {"protocol", kProtocolVersion},
      {"linnet", LINNET_VERSION},
      {"board", kBuildBoard},
      {"model",
       {{"name", info.model_name},
        {"sha256", info.model_sha256},
        {"bundle_schema", info.bundle_schema},
        {"context_length", info.context_length},
        {"threads", info.threads}}},
      {"memory",
       {{"rss_bytes", rss ? ResponseJson(rss->current_bytes) : ResponseJson(nullptr)},
        {"weights_bytes", info.weights_bytes},
        {"planned_bytes", info.planned_bytes}}},
      {"uptime_s", rounded(ms_since(started_) / 1000.0)},
      {"limits",
       {{"max_line_bytes", options_.max_line_bytes},
        {"max_queue", options_.max_queue},
        {"line_timeout_ms", options_.line_timeout.count()},
        {"max_ota_chunk_bytes", parse_limits_.max_ota_chunk_bytes}}},
      {"commands", commands},
  };
  if (ota_ != nullptr) {
    const OtaStatus ota = ota_->status();
    out["ota"] = {{"store", ota.store}, {"store_note", ota.store_note}};
  }
  return out;
}

ResponseJson Server::status_json() const {
  ResponseJson running = nullptr;
  ResponseJson queued = ResponseJson::array();
  ServerCounters counters;
  {
    std::lock_guard lock(mutex_);
    if (running_) {
      running = {{"id", running_->id.to_json()},
                 {"cmd", running_->cmd},
                 {"elapsed_ms", rounded(ms_since(running_->started))},
                 {"tokens", running_tokens_.load()}};
    }
    for (const Job& j : queue_) queued.push_back(j.request.id.to_json());
    counters = counters_;
  }
  const BackendStatus backend = backend_.status();
  const auto rss = read_resident_memory();
  ResponseJson status = {
      {"state", running.is_null() ? "idle" : "busy"},
      {"running", running},
      {"queued", queued},
      {"uptime_s", rounded(ms_since(started_) / 1000.0)},
      {"rss_bytes", rss ? ResponseJson(rss->current_bytes) : ResponseJson(nullptr)},
      {"model_sha256", backend.model_sha256},
      {"context_tokens_used", backend.context_tokens_used},
      {"requests", counters.requests},
      {"errors", counters.errors},
      {"discarded_lines", counters.discarded_lines},
      {"unanswered_lines", counters.unanswered_lines},
      {"link_losses", counters.link_losses},
  };
  if (ota_ != nullptr) status["ota"] = ota_status_json(ota_->status());
  return status;
}

// ---------------------------------------------------------------------------------
// Worker thread

void Server::worker_entry() {
  at_thread_entry(
      "serial server: worker thread", [this] { worker_loop(); },
      [this](const Error& error) noexcept {
        try {
          note("fatal: " + error.message() + "; stopping");
          std::lock_guard lock(mutex_);
          worker_failure_ = error;
          running_.reset();
        } catch (...) {  // only the stop below matters now
        }
        idle_cv_.notify_all();
        stop();
      });
}

void Server::worker_loop() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [&] { return worker_exit_ || !queue_.empty() || reload_pending_; });
      if (worker_exit_ && queue_.empty()) return;
      if (reload_pending_ && !worker_exit_) {
        reload_pending_ = false;
        lock.unlock();
        if (options_.on_reload) options_.on_reload();
        continue;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
      running_ = Running{job.request.id, command_name(job.request.command), Clock::now(), job.cancel};
      running_tokens_.store(0);
    }
    const std::string final_line = run_job_at_boundary(job);
    // Idle before the final line goes out: a client that sends its next request as soon
    // as it reads this line must find nothing running (no "queued" event, no id in use).
    {
      std::lock_guard lock(mutex_);
      running_.reset();
    }
    send(final_line);
    idle_cv_.notify_all();
  }
}

std::string Server::run_job_at_boundary(Job& job) {
  try {
    return run_job(job);
  } catch (...) {
    commit_running_.store(false);
    const Error error = current_exception_error(command_name(job.request.command));
    note("internal error running request " + job.request.id.to_string() + ": " + error.message());
    return counted_error(job.request.id, ProtocolError::kInternal, error.message());
  }
}

std::string Server::run_job(Job& job) {
  const RequestId& id = job.request.id;
  return std::visit(
      Overloaded{
          [&](const GenerateCommand& g) { return run_generate(id, g, *job.cancel); },
          [&](const ClassifyCommand& c) { return run_classify(id, c, *job.cancel); },
          [&](const OtaCommitCommand&) { return run_ota_commit(id); },
          [&]<AnsweredOnReader C>(const C&) {
            return counted_error(id, ProtocolError::kInternal, "not a queued command");
          },
      },
      job.request.command);
}

std::string Server::run_generate(const RequestId& id, const GenerateCommand& command, CancelToken& cancel) {
  Utf8Joiner joiner;
  std::string text;  // the whole text, when not streaming
  std::uint32_t tokens = 0;
  bool link_gone = false;
  auto emit = [&](std::string piece) {
    if (piece.empty()) return;
    if (!command.stream) {
      text += piece;
      return;
    }
    if (link_gone) return;
    ResponseJson fields = {{"text", std::move(piece)}};
    if (writer_.write_line(event_line(id, "token", std::move(fields))) != WriteOutcome::kWritten) {
      // Nobody is reading: stop spending the model on it.
      link_gone = true;
      cancel.cancel();
    }
  };
  const TokenSink sink = [&](std::string_view piece) {
    running_tokens_.store(++tokens);
    emit(joiner.push(piece));
  };
  auto result = backend_.generate(command.prompt, command.options, sink, cancel);
  emit(joiner.flush());
  if (!result.ok()) return counted_error(id, model_error_code(result.error().code()), result.error().message());
  const GenerateResult& r = *result;
  ResponseJson out = {
      {"stop_reason", stop_reason_name(r.stop_reason)},
      {"prompt_tokens", r.prompt_tokens},
      {"generated_tokens", r.generated_tokens},
      {"prefill_ms", rounded(r.prefill_ms)},
      {"decode_ms", rounded(r.decode_ms)},
      {"total_ms", rounded(r.total_ms)},
      {"tokens_per_s", rounded(r.decode_ms > 0 ? r.generated_tokens * 1000.0 / r.decode_ms : 0.0, 100.0)},
      {"sampling", sampling_json(r.sampling)},
  };
  if (!command.stream) out["text"] = std::move(text);
  return ok_line(id, std::move(out));
}

std::string Server::run_classify(const RequestId& id, const ClassifyCommand& command, CancelToken& cancel) {
  auto result = backend_.classify(command.request, cancel);
  if (!result.ok()) return counted_error(id, model_error_code(result.error().code()), result.error().message());
  const ClassifyResult& r = *result;
  if (r.labels.empty()) {
    return counted_error(id, ProtocolError::kInternal, "the backend returned no label probabilities");
  }
  // Fail closed whatever the backend: a NaN probability would make "label" the first one
  // asked for (every comparison with NaN is false), and JSON would print it as null.
  for (const LabelProbability& l : r.labels) {
    if (!std::isfinite(l.probability)) {
      return counted_error(id, ProtocolError::kNumeric,
                           "the probability of label '" + l.label + "' is not finite: no label given");
    }
  }
  ResponseJson probabilities = ResponseJson::object();
  const LabelProbability* best = &r.labels.front();
  for (const LabelProbability& l : r.labels) {
    probabilities[l.label] = l.probability;
    if (l.probability > best->probability) best = &l;
  }
  return ok_line(id, {{"label", best->label},
                    {"probabilities", std::move(probabilities)},
                    {"prompt_tokens", r.prompt_tokens},
                     {"prefill_ms", rounded(r.prefill_ms)},
                     {"total_ms", rounded(r.total_ms)}});
}

std::string Server::run_ota_commit(const RequestId& id) {
  commit_running_.store(true);
  auto result = ota_->commit();
  commit_running_.store(false);
  if (!result.ok()) return counted_error(id, ProtocolError::kOta, result.error().message());
  return ok_line(id, {{"model", result->model_name}, {"version", result->version}});
}

}  // namespace linnet::serve
