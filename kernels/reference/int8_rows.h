// Rows of int8 values with one float scale per row: the int8 KV cache
// (ExecutorOptions::kv_cache = KvCacheType::kInt8).
//
// A row of n values x is stored as q[i] = round(x[i] / s) with s = max|x| / 127, so
// |q[i]| <= 127 and x[i] ~= q[i] * s with an error of at most s / 2 (an all-zero row has
// s = 0). One scale per (position, KV head) row keeps an outlier in one token from costing
// the precision of every other token, at 4 bytes per row (1.6 % of a 256-value row).
#pragma once

#include <cstddef>
#include <cstdint>

namespace linnet::kernels {

// Rows [0, rows) of a cache: row p at values + p * row_length, its scale at scales[p].
// A view: the caller owns both arrays.
struct Int8Rows {
  const std::int8_t* values = nullptr;
  const float* scales = nullptr;

  // The view starting at row `first` of rows of `row_length` values.
  Int8Rows from_row(std::size_t first, std::size_t row_length) const {
    return Int8Rows{values + first * row_length, scales + first};
  }
};

// Quantizes x [n] into q [n] and *scale (formula above). Round to nearest, ties to even.
void quantize_row_int8(const float* x, int n, std::int8_t* q, float* scale);

// x[i] = q[i] * scale, i < n.
void dequantize_row_int8(const std::int8_t* q, float scale, int n, float* x);

}  // namespace linnet::kernels
