// Fail-closed checks on computed numbers: a damaged weight (a flipped exponent bit, a NaN
// written into a norm) turns a model's output into NaN or infinity, and every comparison
// with NaN is false, so an unchecked argmax quietly answers "the first label" or "token 0".
// Callers check the few numbers an answer is made from (the logits a token is sampled from,
// the label scores), not every activation.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace linnet {

// Index of the first NaN or infinity in `values`; values.size() when every value is finite.
// One branch-free pass per block of values (an exponent-bits test the compiler vectorises),
// so a check of the 248k logits of the real vocabulary costs far less than the head that
// computed them.
std::size_t first_non_finite(std::span<const float> values);
std::size_t first_non_finite(std::span<const double> values);

// "nan", "inf" or "-inf" (for messages naming what was not finite).
std::string non_finite_name(double value);

}  // namespace linnet
