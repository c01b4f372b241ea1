#include "runtime/serve/line_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <thread>

namespace linnet::serve {
namespace {

using namespace std::chrono_literals;

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) close(r);
    if (w >= 0) close(w);
  }
  std::string read_all() {
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = read(r, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
};

TEST(LineWriter, ALongLineOnASlowButDrainingLinkIsNotAStall) {
  Pipe p;
  LineWriter writer(300ms);
  writer.attach(p.w);
  const std::string line(400000, 'x');  // several pipe buffers
  std::string received;
  std::thread reader([&] {
    char buf[16384];
    for (;;) {
      const ssize_t n = read(p.r, buf, sizeof buf);
      if (n > 0) received.append(buf, static_cast<std::size_t>(n));
      if (received.size() >= line.size()) break;
      std::this_thread::sleep_for(20ms);  // ~0.8 MB/s: the write takes about 0.5 s in all
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(writer.write_line(line), WriteOutcome::kWritten);
  EXPECT_GT(std::chrono::steady_clock::now() - t0, 300ms);  // longer than the timeout, yet written
  reader.join();
  EXPECT_EQ(received, line);
}

TEST(LineWriter, NoProgressIsAStallAndTheCutLineIsEndedBeforeTheNextOne) {
  Pipe p;
  LineWriter writer(100ms);
  writer.attach(p.w);
  const std::string big(200000, 'y');
  EXPECT_EQ(writer.write_line(big), WriteOutcome::kStalled);  // nobody reads
  std::string cut = p.read_all();
  EXPECT_GT(cut.size(), 0u);
  EXPECT_LT(cut.size(), big.size());
  // The reader is back: the next line goes out at once, after a '\n' that ends the cut one.
  EXPECT_EQ(writer.write_line("{\"id\":1}\n"), WriteOutcome::kWritten);
  EXPECT_EQ(p.read_all(), "\n{\"id\":1}\n");
}

TEST(LineWriter, AClosedLinkIsAFailure) {
  std::signal(SIGPIPE, SIG_IGN);  // as linnet serve does: EPIPE instead of death
  Pipe p;
  close(p.r);
  p.r = -1;
  LineWriter writer(100ms);
  writer.attach(p.w);
  EXPECT_EQ(writer.write_line("x\n"), WriteOutcome::kFailed);  // EPIPE
  EXPECT_TRUE(writer.failed());
  writer.attach(-1);
  EXPECT_EQ(writer.write_line("x\n"), WriteOutcome::kFailed);
}

}  // namespace
}  // namespace linnet::serve
