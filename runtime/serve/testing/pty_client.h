// Test harness: a pseudo-terminal pair with the server on the slave side (opened by
// path through Link::open_serial, so the real termios code runs) and the test acting
// as the client on the master side.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/serve/server.h"
#include "runtime/serve/testing/fake_backend.h"

namespace linnet::serve::testing {

using Json = nlohmann::json;
using namespace std::chrono_literals;

class PtyPair {
 public:
  PtyPair();  // openpty; the slave fd is closed (the server opens it by path)
  ~PtyPair();
  PtyPair(const PtyPair&) = delete;
  PtyPair& operator=(const PtyPair&) = delete;

  int master() const { return master_; }
  const std::string& slave_path() const { return slave_path_; }
  void close_master();

 private:
  int master_ = -1;
  std::string slave_path_;
};

// Line-oriented client on a file descriptor (borrowed).
class LineClient {
 public:
  explicit LineClient(int fd) : fd_(fd) {}
  void set_fd(int fd) {
    fd_ = fd;
    buffer_.clear();
  }

  // Writes all of `bytes` (fails the test on error).
  void send(std::string_view bytes);
  void send_json(const Json& request) { send(request.dump() + "\n"); }

  // The next line, or nullopt after `timeout` without one.
  std::optional<std::string> next_line(std::chrono::milliseconds timeout = 5000ms);
  // The next line as JSON (a line that is not JSON fails the test).
  std::optional<Json> next_json(std::chrono::milliseconds timeout = 5000ms);

  struct Answer {
    Json final;                 // the line with "ok"; null on timeout
    std::vector<Json> events;   // lines with "event" for the id, in order
    std::vector<Json> others;   // lines for other ids (or id null) seen meanwhile
  };
  // Reads until the final line for `id`.
  Answer await(const Json& id, std::chrono::milliseconds timeout = 10000ms);

  // Drops whatever is readable now.
  void drain();

 private:
  int fd_;
  std::string buffer_;
};

// A server on a pty, run on its own thread, with the fake backend (and OTA port).
class PtyServer {
 public:
  struct Config {
    ServerOptions options;
    FakeBackendOptions backend;
    bool with_ota = true;
    OtaPort* ota = nullptr;  // borrowed; replaces the fake OTA port when set
    Backend* backend_override = nullptr;  // borrowed; replaces the fake backend when set
    bool expect_run_ok = true;  // false: run() may fail (run_status() says how)
  };
  explicit PtyServer(Config config);
  ~PtyServer();

  LineClient& client() { return client_; }
  FakeBackend& backend() { return backend_; }
  FakeOtaPort& ota() { return ota_; }
  Server& server() { return *server_; }
  PtyPair& pty() { return *pty_; }

  // Closes the client side: the client vanishes (the server sees a hang-up).
  void vanish() { pty_->close_master(); }
  // Makes a new pty and points the server's device path (a symlink) at it, like a USB
  // adapter plugged back in.
  void replug();
  // Waits until the server has opened its link `count` times in all.
  bool wait_for_opens(int count, std::chrono::milliseconds timeout = 5000ms);
  // Waits until run() has returned by itself; then its status.
  std::optional<Status> wait_for_exit(std::chrono::milliseconds timeout = 5000ms);
  void stop();

 private:
  FakeBackend backend_;
  FakeOtaPort ota_;
  std::unique_ptr<PtyPair> pty_;
  std::string dir_, link_path_;
  LineClient client_{-1};
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable opened_cv_;
  int opens_ = 0;
  std::optional<Status> run_status_;  // set when run() returns (under mutex_)
};

}  // namespace linnet::serve::testing
