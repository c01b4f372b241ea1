#include "runtime/serve/link.h"

#include <gtest/gtest.h>
#include <pty.h>
#include <unistd.h>

namespace linnet::serve {
namespace {

TEST(SerialConfig, RawEightNOneWithTheRequestedSpeed) {
  termios tio{};
  tio.c_lflag = ICANON | ECHO | ISIG;
  tio.c_iflag = ICRNL | IXON | BRKINT;
  tio.c_oflag = OPOST | ONLCR;
  tio.c_cflag = PARENB | CSTOPB | CS7 | HUPCL;
  ASSERT_TRUE(configure_termios(tio, {921600, true}).ok());
  EXPECT_EQ(tio.c_lflag & (ICANON | ECHO | ISIG | IEXTEN), 0u);
  EXPECT_EQ(tio.c_iflag & (ICRNL | IXON | BRKINT | IGNBRK | PARMRK | ISTRIP), 0u);
  EXPECT_EQ(tio.c_oflag & OPOST, 0u);
  EXPECT_EQ(tio.c_cflag & CSIZE, static_cast<tcflag_t>(CS8));
  EXPECT_EQ(tio.c_cflag & (PARENB | CSTOPB | HUPCL), 0u);
  EXPECT_NE(tio.c_cflag & CRTSCTS, 0u);
  EXPECT_NE(tio.c_cflag & CLOCAL, 0u);
  EXPECT_NE(tio.c_cflag & CREAD, 0u);
  EXPECT_EQ(cfgetospeed(&tio), static_cast<speed_t>(B921600));
  EXPECT_EQ(cfgetispeed(&tio), static_cast<speed_t>(B921600));

  ASSERT_TRUE(configure_termios(tio, {115200, false}).ok());
  EXPECT_EQ(tio.c_cflag & CRTSCTS, 0u);
  EXPECT_EQ(cfgetospeed(&tio), static_cast<speed_t>(B115200));
}

TEST(SerialConfig, RefusesUnknownBaudRates) {
  termios tio{};
  for (std::uint32_t baud : {0u, 1u, 100000u, 115201u, 250000u}) {
    auto s = configure_termios(tio, {baud, false});
    ASSERT_FALSE(s.ok()) << baud;
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(s.error().message().find(std::to_string(baud)), std::string::npos);
  }
  EXPECT_FALSE(Link::open_serial("/dev/null", {12345, false}).ok());
}

TEST(Link, OpensAPseudoTerminalRawAndRestoresItOnClose) {
  int master = -1, slave = -1;
  char name[256];
  ASSERT_EQ(openpty(&master, &slave, name, nullptr, nullptr), 0);
  termios before{};
  ASSERT_EQ(tcgetattr(slave, &before), 0);
  ASSERT_NE(before.c_lflag & ICANON, 0u);  // a fresh pty is cooked
  {
    auto link = Link::open_serial(name, {115200, false});
    ASSERT_TRUE(link.ok()) << link.error().message();
    termios now{};
    ASSERT_EQ(tcgetattr(slave, &now), 0);
    EXPECT_EQ(now.c_lflag & (ICANON | ECHO), 0u);
    EXPECT_EQ(now.c_cflag & CSIZE, static_cast<tcflag_t>(CS8));
  }
  termios after{};
  ASSERT_EQ(tcgetattr(slave, &after), 0);
  EXPECT_NE(after.c_lflag & ICANON, 0u);
  close(slave);
  close(master);
}

TEST(Link, RefusesSomethingThatIsNotATerminal) {
  auto link = Link::open_serial("/dev/null", {115200, false});
  ASSERT_FALSE(link.ok());
  EXPECT_NE(link.error().message().find("not a terminal"), std::string::npos);
  EXPECT_FALSE(Link::open_serial("/nonexistent/ttyX", {115200, false}).ok());
}

}  // namespace
}  // namespace linnet::serve
