#include "runtime/serve/testing/pty_client.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

namespace linnet::serve::testing {

PtyPair::PtyPair() {
  int slave = -1;
  char name[256];
  if (openpty(&master_, &slave, name, nullptr, nullptr) != 0) {
    ADD_FAILURE() << "openpty failed";
    return;
  }
  slave_path_ = name;
  ::close(slave);
  fcntl(master_, F_SETFL, fcntl(master_, F_GETFL) | O_NONBLOCK);
}

PtyPair::~PtyPair() { close_master(); }

void PtyPair::close_master() {
  if (master_ >= 0) ::close(master_);
  master_ = -1;
}

void LineClient::send(std::string_view bytes) {
  std::size_t done = 0;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      ADD_FAILURE() << "client write: " << std::strerror(errno);
      return;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "client write timed out";
      return;
    }
    pollfd p{fd_, POLLOUT, 0};
    ::poll(&p, 1, 100);
  }
}

std::optional<std::string> LineClient::next_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n > 0) {
      buffer_.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EIO) {
      // The slave side is not open (the server is between links): wait a little.
      std::this_thread::sleep_for(10ms);
    }
  }
}

std::optional<Json> LineClient::next_json(std::chrono::milliseconds timeout) {
  auto line = next_line(timeout);
  if (!line) return std::nullopt;
  Json j = Json::parse(*line, nullptr, false);
  if (j.is_discarded()) {
    ADD_FAILURE() << "server sent a line that is not JSON: " << *line;
    return std::nullopt;
  }
  return j;
}

LineClient::Answer LineClient::await(const Json& id, std::chrono::milliseconds timeout) {
  Answer a;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return a;
    auto j = next_json(left);
    if (!j) return a;
    if (!j->is_object() || !j->contains("id")) {
      ADD_FAILURE() << "response without an id: " << j->dump();
      continue;
    }
    if ((*j)["id"] != id) {
      a.others.push_back(*j);
    } else if (j->contains("ok")) {
      a.final = *j;
      return a;
    } else {
      a.events.push_back(*j);
    }
  }
}

void LineClient::drain() {
  char buf[4096];
  while (::read(fd_, buf, sizeof buf) > 0) {
  }
  buffer_.clear();
}

PtyServer::PtyServer(Config config) : backend_(config.backend), pty_(std::make_unique<PtyPair>()) {
  char tmpl[] = "/tmp/linnet-serve-test-XXXXXX";
  dir_ = mkdtemp(tmpl);
  link_path_ = dir_ + "/tty";
  std::filesystem::create_symlink(pty_->slave_path(), link_path_);
  client_.set_fd(pty_->master());

  ServerOptions options = std::move(config.options);
  options.on_link_open = [this](const std::string&) {
    std::lock_guard lock(mutex_);
    ++opens_;
    opened_cv_.notify_all();
  };
  const std::string path = link_path_;
  OtaPort* ota = config.ota != nullptr ? config.ota : (config.with_ota ? &ota_ : nullptr);
  Backend& backend = config.backend_override != nullptr ? *config.backend_override : backend_;
  auto server = Server::create(backend, ota,
                               [path] { return Link::open_serial(path, {115200, false}); },
                               std::move(options));
  if (!server.ok()) {
    ADD_FAILURE() << server.error().message();
    return;
  }
  server_ = std::move(server).value();
  thread_ = std::thread([this, expect_ok = config.expect_run_ok] {
    Status s = server_->run();
    if (expect_ok) {
      EXPECT_TRUE(s.ok()) << s.error().message();
    }
    std::lock_guard lock(mutex_);
    run_status_ = std::move(s);
    opened_cv_.notify_all();
  });
  EXPECT_TRUE(wait_for_opens(1)) << "the server did not open " << link_path_;
}

PtyServer::~PtyServer() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void PtyServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

bool PtyServer::wait_for_opens(int count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return opened_cv_.wait_for(lock, timeout, [&] { return opens_ >= count; });
}

std::optional<Status> PtyServer::wait_for_exit(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  opened_cv_.wait_for(lock, timeout, [&] { return run_status_.has_value(); });
  return run_status_;
}

void PtyServer::replug() {
  auto fresh = std::make_unique<PtyPair>();
  std::filesystem::remove(link_path_);
  std::filesystem::create_symlink(fresh->slave_path(), link_path_);
  client_.set_fd(fresh->master());
  pty_ = std::move(fresh);
}

}  // namespace linnet::serve::testing
