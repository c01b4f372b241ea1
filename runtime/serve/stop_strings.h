// Stop strings for streamed generation: text is passed on as it comes, except a tail
// that might be the start of a stop string, which is held back until it either
// completes one (generation stops; the stop string and anything after it are dropped)
// or stops matching (the tail is passed on). So a client never sees part of a stop
// string.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace linnet::serve {

class StopStringFilter {
 public:
  // `stops`: non-empty strings (copied).
  explicit StopStringFilter(std::span<const std::string> stops) : stops_(stops.begin(), stops.end()) {}

  // Appends a piece of text; returns what may be shown now. After a match, returns only
  // the text before the stop string, and matched() is true.
  std::string push(std::string_view piece);

  // At the end of generation (no match): the held-back tail.
  std::string flush();

  bool matched() const { return matched_; }

 private:
  std::vector<std::string> stops_;
  std::string pending_;
  bool matched_ = false;
};

}  // namespace linnet::serve
