// The serial line protocol server (docs/serial-protocol.md).
//
// Two threads:
//   reader (the thread that calls run()): reads bytes, frames lines (LineFramer),
//     parses requests, answers the quick commands itself (info, ping, status, cancel,
//     the OTA transfer steps) and queues the model commands (classify, generate,
//     ota_commit) in a bounded queue. Because it never waits for the model, cancel and
//     status are answered during a generation.
//   worker: runs queued requests one at a time against the Backend, streaming tokens.
// Each command is a Command alternative (request.h); the reader dispatches it with a visit
// that has one handler per alternative, each returning proof that it answered (Answered),
// and the worker visits the queued ones the same way: a new command does not compile
// until both know it.
// All output goes through one LineWriter, so lines never interleave, and a client that
// stops reading cannot wedge either thread (writes time out, the generation is
// cancelled).
//
// A lost link (EOF, EIO, hang-up, a write error) cancels the running request, drops
// the queue, and, with reopen_link, reopens the device every reconnect_interval (a USB
// adapter unplugged and plugged back). Without reopen_link (stdio), end of input stops
// the server once the queued requests are answered.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "runtime/core/result.h"
#include "runtime/serve/backend.h"
#include "runtime/serve/line_framer.h"
#include "runtime/serve/line_writer.h"
#include "runtime/serve/link.h"
#include "runtime/serve/noise_limiter.h"
#include "runtime/serve/ota_port.h"
#include "runtime/serve/request.h"
#include "runtime/serve/response.h"

namespace linnet::serve {

struct ServerOptions {
  std::size_t max_line_bytes = kDefaultMaxLineBytes;
  std::chrono::milliseconds line_timeout{10000};   // silence that drops a partial line
  std::chrono::milliseconds write_timeout{2000};   // no byte taken for this long = stalled link
  std::chrono::milliseconds reconnect_interval{1000};
  std::size_t max_queue = 8;                       // waiting model requests
  // Errors about unreadable lines (id null): `burst` at once, then one per `interval`,
  // the rest counted into a summary line (noise_limiter.h). burst >= 1.
  NoiseLimitOptions noise;
  bool reopen_link = true;
  int stop_fd = -1;  // optional (borrowed): the server stops when it becomes readable
  // Optional hooks (called on the reader thread): the link is open; a diagnostic.
  std::function<void(const std::string& link_name)> on_link_open;
  std::function<void(std::string_view message)> log;
  // Optional: run on the worker thread, between requests, after request_reload() (e.g.
  // another agent committed an update to the store: switch to it). The link and its
  // session stay up; requests that arrive meanwhile wait in the queue.
  std::function<void()> on_reload;
};

using LinkOpener = std::function<Result<Link>()>;

struct ServerCounters {
  std::uint64_t requests = 0;        // lines that parsed as requests
  std::uint64_t errors = 0;          // error lines sent
  std::uint64_t discarded_lines = 0; // overlong, timed out, echoed responses
  std::uint64_t unanswered_lines = 0; // unreadable lines counted into a summary, not answered
  std::uint64_t link_losses = 0;
};

class Server {
 public:
  // `backend` and `ota` (may be null: no OTA commands) are borrowed and must outlive
  // the Server. `open_link` is called at start and after each loss.
  static Result<std::unique_ptr<Server>> create(Backend& backend, OtaPort* ota,
                                                LinkOpener open_link, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves until stop(), the stop_fd, or (without reopen_link) the end of input.
  // Fails if the link cannot be opened at the start, or (kInternal) when an exception
  // outside a request ended the worker or the reader (both stop the server cleanly: the
  // queued requests get `shutting_down`). No exception escapes it.
  Status run();

  // Thread-safe; run() returns soon after (the running request is cancelled).
  void stop();

  // Thread-safe: the worker runs options.on_reload once the running request (if any)
  // has finished, before the next queued one. Requests made while one is pending
  // collapse into it.
  void request_reload();

  ServerCounters counters() const;

 private:
  struct Job {
    Request request;
    std::shared_ptr<CancelToken> cancel;
  };
  struct Running {
    RequestId id;
    std::string_view cmd;
    std::chrono::steady_clock::time_point started;
    std::shared_ptr<CancelToken> cancel;
  };

  // What a reader-thread handler returns: proof that the request got its final line, or
  // was queued (then the worker owes it one). Only answer(), answer_error(), enqueue() and
  // the handlers built on them make one, so a handler that does not answer does not
  // compile (dispatch(): one handler per Command alternative, through std::visit).
  class Answered {
    friend class Server;
    Answered() = default;
  };

  Server(Backend& backend, OtaPort* ota, LinkOpener open_link, ServerOptions options, int wake_fd);

  // Reader thread.
  void read_loop();
  bool reopen();
  void link_lost(std::string_view why);
  // The request boundary on the reader thread: an exception while answering a request
  // becomes an `internal` error for it, and the server keeps serving.
  void handle_line(std::string_view line);
  void handle_request(Request request);
  Answered dispatch(Request& request);
  Answered handle_cancel(const RequestId& id, const CancelCommand& command);
  // An OTA transfer step: refused without an agent or while a commit runs, else `step(ota)`.
  template <typename Step>
  Answered ota_step(const RequestId& id, Step&& step);
  Answered enqueue(Request request);
  Answered answer(std::string_view line);
  Answered answer_error(const RequestId& id, ProtocolError code, std::string_view message);
  void drain_then_stop();
  void shutdown();
  ResponseJson info_json() const;
  ResponseJson status_json() const;

  // Worker thread. The thread's entry: an exception that escapes worker_loop (outside a
  // request, e.g. in on_reload, which may leave the backend half switched) is fatal: it
  // is logged, the server stops, and run() returns it.
  void worker_entry();
  void worker_loop();
  // Each runs a job and returns its final line (sent once the job no longer counts as
  // running); token lines go out as they come. The request boundary on the worker
  // thread: an exception while running a job becomes an `internal` error for it, and
  // the server keeps serving.
  std::string run_job_at_boundary(Job& job);
  std::string run_job(Job& job);
  std::string run_generate(const RequestId& id, const GenerateCommand& command, CancelToken& cancel);
  std::string run_classify(const RequestId& id, const ClassifyCommand& command, CancelToken& cancel);
  std::string run_ota_commit(const RequestId& id);

  void send(std::string_view line);
  void send_error(const RequestId& id, ProtocolError code, std::string_view message);
  // An error about a line with no readable id, through the noise limiter (reader thread).
  void send_noise_error(ProtocolError code, std::string_view message);
  // The count of unanswered lines as one summary error: when the limiter allows it
  // (`force`: at once, before answering a readable line).
  void send_noise_summary(bool force);
  std::string counted_error(const RequestId& id, ProtocolError code, std::string_view message);
  void note(std::string_view message) const;

  Backend& backend_;
  OtaPort* ota_;
  LinkOpener open_link_;
  const ServerOptions options_;
  const ParseLimits parse_limits_;
  const int wake_fd_;  // eventfd written by stop()
  const std::chrono::steady_clock::time_point started_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> commit_running_{false};
  std::atomic<std::uint32_t> running_tokens_{0};
  LineWriter writer_;
  LineFramer framer_;
  std::optional<Link> link_;  // reader thread only
  bool input_ended_ = false;  // reader thread only
  NoiseLimiter noise_;        // reader thread only

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<Job> queue_;
  std::optional<Running> running_;
  bool worker_exit_ = false;
  bool reload_pending_ = false;
  std::optional<Error> worker_failure_;  // what ended the worker thread (worker_entry)
  ServerCounters counters_;

  std::thread worker_;
};

}  // namespace linnet::serve
