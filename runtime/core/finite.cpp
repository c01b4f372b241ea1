#include "runtime/core/finite.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace linnet {
namespace {

// Exponent bits all ones: infinity or NaN (IEEE 754 binary32 / binary64).
inline std::uint32_t exponent_all_ones(float v) {
  return static_cast<std::uint32_t>((std::bit_cast<std::uint32_t>(v) & 0x7F800000u) == 0x7F800000u);
}
inline std::uint32_t exponent_all_ones(double v) {
  return static_cast<std::uint32_t>((std::bit_cast<std::uint64_t>(v) & 0x7FF0000000000000ull) ==
                                    0x7FF0000000000000ull);
}

template <typename T>
std::size_t first_non_finite_in(std::span<const T> values) {
  constexpr std::size_t kBlock = 256;
  for (std::size_t start = 0; start < values.size(); start += kBlock) {
    const std::size_t n = std::min(kBlock, values.size() - start);
    std::uint32_t any = 0;
    for (std::size_t i = 0; i < n; ++i) any |= exponent_all_ones(values[start + i]);
    if (any == 0) continue;
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(values[start + i])) return start + i;
    }
  }
  return values.size();
}

}  // namespace

std::size_t first_non_finite(std::span<const float> values) { return first_non_finite_in(values); }
std::size_t first_non_finite(std::span<const double> values) { return first_non_finite_in(values); }

std::string non_finite_name(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return "finite";
}

}  // namespace linnet
