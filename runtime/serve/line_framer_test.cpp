#include "runtime/serve/line_framer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace linnet::serve {
namespace {

std::vector<FrameEvent> feed(LineFramer& f, std::string_view bytes) {
  std::vector<FrameEvent> events;
  f.feed(std::span<const char>(bytes.data(), bytes.size()), events);
  return events;
}

std::vector<std::string> lines_of(const std::vector<FrameEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.kind == FrameEvent::Kind::kLine ? e.line : "<overlong>");
  return out;
}

TEST(LineFramer, SplitsOnLfCrAndCrLf) {
  LineFramer f(100);
  EXPECT_EQ(lines_of(feed(f, "a\nb\rc\r\nd")), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(f.has_partial());
  EXPECT_EQ(lines_of(feed(f, "e\n")), (std::vector<std::string>{"de"}));
  EXPECT_FALSE(f.has_partial());
}

TEST(LineFramer, SkipsBlankLines) {
  LineFramer f(100);
  EXPECT_TRUE(feed(f, "\n\r\n  \t \n").empty());
}

TEST(LineFramer, LineAtTheLimitPassesOneOverIsDiscardedToTheNewline) {
  LineFramer f(8);
  EXPECT_EQ(lines_of(feed(f, "12345678\n")), (std::vector<std::string>{"12345678"}));
  auto events = feed(f, "123456789abc");
  EXPECT_TRUE(events.empty());
  EXPECT_TRUE(f.has_partial());
  events = feed(f, "def\nok\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, FrameEvent::Kind::kOverlong);
  EXPECT_EQ(events[0].discarded_bytes, 15u);
  EXPECT_EQ(events[1].line, "ok");
}

TEST(LineFramer, NulDropsThePartialLineSilently) {
  LineFramer f(100);
  EXPECT_EQ(lines_of(feed(f, "garbage")).size(), 0u);
  EXPECT_EQ(lines_of(feed(f, std::string_view("\0{\"id\":1}\n", 10))),
            (std::vector<std::string>{"{\"id\":1}"}));
  // A NUL also ends an overlong line's discarding without a report.
  LineFramer g(4);
  EXPECT_TRUE(feed(g, std::string_view("abcdefgh\0x\n", 11)).size() == 1);
}

TEST(LineFramer, BackspaceErasesWholeUtf8Characters) {
  LineFramer f(100);
  EXPECT_EQ(lines_of(feed(f, "ab\x7f" "c\n")), (std::vector<std::string>{"ac"}));
  EXPECT_EQ(lines_of(feed(f, "x\xC3\xA9\x08y\n")), (std::vector<std::string>{"xy"}));
  EXPECT_EQ(lines_of(feed(f, "\x08\x08z\n")), (std::vector<std::string>{"z"}));
}

TEST(LineFramer, DropPartialReportsBytesAndResets) {
  LineFramer f(4);
  feed(f, "abc");
  EXPECT_EQ(f.drop_partial(), 3u);
  EXPECT_FALSE(f.has_partial());
  feed(f, "abcdefg");
  EXPECT_EQ(f.drop_partial(), 7u);
  EXPECT_EQ(lines_of(feed(f, "ok\n")), (std::vector<std::string>{"ok"}));
}

}  // namespace
}  // namespace linnet::serve
