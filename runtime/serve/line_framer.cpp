#include "runtime/serve/line_framer.h"

namespace linnet::serve {
namespace {

constexpr char kBackspace = '\x08';
constexpr char kDelete = '\x7f';

bool is_blank(const std::string& line) {
  for (char c : line) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

bool is_utf8_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0u) == 0x80u;
}

}  // namespace

void LineFramer::feed(std::span<const char> bytes, std::vector<FrameEvent>& events) {
  for (char c : bytes) {
    switch (c) {
      case '\n':
      case '\r':
        end_line(events);
        break;
      case '\0':  // a break (or noise): resynchronise silently
        drop_partial();
        break;
      case kBackspace:
      case kDelete:
        if (!discarding_) erase_last_character();
        break;
      default:
        if (discarding_) {
          ++discarded_bytes_;
        } else if (line_.size() >= max_line_bytes_) {
          discarding_ = true;
          discarded_bytes_ = line_.size() + 1;
          line_.clear();
          line_.shrink_to_fit();  // an overlong line must not pin its memory
        } else {
          line_.push_back(c);
        }
        break;
    }
  }
}

std::size_t LineFramer::drop_partial() {
  const std::size_t dropped = discarding_ ? discarded_bytes_ : line_.size();
  line_.clear();
  discarding_ = false;
  discarded_bytes_ = 0;
  return dropped;
}

void LineFramer::end_line(std::vector<FrameEvent>& events) {
  if (discarding_) {
    FrameEvent event;
    event.kind = FrameEvent::Kind::kOverlong;
    event.discarded_bytes = discarded_bytes_;
    events.push_back(std::move(event));
  } else if (!is_blank(line_)) {
    FrameEvent event;
    event.kind = FrameEvent::Kind::kLine;
    event.line = line_;
    events.push_back(std::move(event));
  }
  line_.clear();
  discarding_ = false;
  discarded_bytes_ = 0;
}

void LineFramer::erase_last_character() {
  // Remove the continuation bytes of a UTF-8 sequence, then its lead byte.
  while (!line_.empty() && is_utf8_continuation(line_.back())) line_.pop_back();
  if (!line_.empty()) line_.pop_back();
}

}  // namespace linnet::serve
