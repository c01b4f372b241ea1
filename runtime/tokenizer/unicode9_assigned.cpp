#include "runtime/tokenizer/unicode9_assigned.h"

#include <algorithm>
#include <iterator>

namespace linnet {
namespace {

struct CodePointRange {
  std::uint32_t first;
  std::uint32_t last;  // inclusive
};

// Generated from the UCD's DerivedAge.txt by tools/unicode/gen_unicode9_assigned.py. A
// code point's age never changes, so the table holds for every later Unicode version.
constexpr CodePointRange kAssignedInUnicode9[] = {
#include "runtime/tokenizer/unicode9_assigned_table.inc"
};

}  // namespace

bool assigned_in_unicode9(std::uint32_t cp) {
  // The first range starting after cp; cp is assigned if the range before it holds it.
  const auto* after = std::upper_bound(std::begin(kAssignedInUnicode9), std::end(kAssignedInUnicode9), cp,
                                       [](std::uint32_t c, const CodePointRange& r) { return c < r.first; });
  return after != std::begin(kAssignedInUnicode9) && cp <= (after - 1)->last;
}

}  // namespace linnet
