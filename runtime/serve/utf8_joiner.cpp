#include "runtime/serve/utf8_joiner.h"

namespace linnet::serve {
namespace {

// Length of the sequence a lead byte starts; 0 for a continuation byte, 1 for ASCII or
// a byte that cannot start a sequence (passed on as is).
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xC0) == 0x80) return 0;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

}  // namespace

std::string Utf8Joiner::push(std::string_view piece) {
  pending_.append(piece);
  // Look back at most 3 bytes for the lead byte of the last sequence.
  std::size_t cut = pending_.size();
  for (std::size_t back = 1; back <= 3 && back <= pending_.size(); ++back) {
    const std::size_t pos = pending_.size() - back;
    const std::size_t len = sequence_length(static_cast<unsigned char>(pending_[pos]));
    if (len == 0) continue;  // continuation byte: keep looking for its lead
    if (len > back) cut = pos;  // the sequence is not complete yet
    break;
  }
  std::string ready = pending_.substr(0, cut);
  pending_.erase(0, cut);
  return ready;
}

std::string Utf8Joiner::flush() {
  std::string rest;
  rest.swap(pending_);
  return rest;
}

}  // namespace linnet::serve
