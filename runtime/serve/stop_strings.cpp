#include "runtime/serve/stop_strings.h"

#include <algorithm>

namespace linnet::serve {

std::string StopStringFilter::push(std::string_view piece) {
  if (matched_) return {};
  pending_.append(piece);
  // The earliest complete stop string wins.
  std::size_t first = std::string::npos;
  for (const std::string& s : stops_) {
    if (!s.empty()) first = std::min(first, pending_.find(s));
  }
  if (first != std::string::npos) {
    matched_ = true;
    std::string out = pending_.substr(0, first);
    pending_.clear();
    return out;
  }
  // Hold back the longest tail that is a proper prefix of some stop string.
  std::size_t hold = 0;
  for (const std::string& s : stops_) {
    if (s.empty()) continue;
    for (std::size_t k = std::min(s.size() - 1, pending_.size()); k > hold; --k) {
      if (std::string_view(pending_).substr(pending_.size() - k) == std::string_view(s).substr(0, k)) {
        hold = k;
        break;
      }
    }
  }
  std::string out = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return out;
}

std::string StopStringFilter::flush() {
  std::string rest;
  rest.swap(pending_);
  return rest;
}

}  // namespace linnet::serve
