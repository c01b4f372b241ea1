// Weight encodings the bundle stores (bundle.fbs has the byte layouts), their inverses,
// and the error measures the converter reports.
//
//   f16: round to nearest even; |w| > 65504 overflows and is refused.
//   q8:  per output row n: s = max|w[n,:]| / 127, q = round(w / s) in [-127, 127];
//        |w - q*s| <= s/2. The layout of XNNPACK's qd8_f32_qc8w (int8 [N,K], f32 scales [N]).
//   q4:  per row n and block b of 32 along K: s = bf16(max|w[n, block]| / 7),
//        nibble = clamp(round(w / s), -8, 7) + 8, two nibbles a byte (low nibble = even k);
//        |w - (nibble-8)*s| <= s/2 (s rounded to bf16 first, so the bound holds for the
//        stored scale). The layout of XNNPACK's qd8_f32_qb4w with kernel_zero_point 8.
// Scales are positive normal floats (XNNPACK refuses zero, subnormal, inf and NaN scales,
// /work/notes/q4-layout.md): an all-zero row or block gets scale 1 and zero codes, and a
// scale that would fall below FLT_MIN is FLT_MIN.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/bundle/model_view.h"
#include "runtime/core/result.h"

namespace linnet::convert {

struct Quantized {
  std::vector<std::uint8_t> data;    // codes (q8: int8 as bytes; q4: packed nibbles)
  std::vector<std::uint8_t> scales;  // q8: float32 [N]; q4: bf16 [N, K/block]
};

// `w` is row-major [rows, cols]. The work is split over `threads` (>= 1) threads by rows.
Quantized quantize_q8(std::span<const float> w, std::int64_t rows, std::int64_t cols, int threads);
Quantized quantize_q4(std::span<const float> w, std::int64_t rows, std::int64_t cols, std::uint32_t block,
                      int threads);

// Inverses (for tests, error measurement and the reference executor). `q` as produced above.
std::vector<float> dequantize_q8(const Quantized& q, std::int64_t rows, std::int64_t cols);
std::vector<float> dequantize_q4(const Quantized& q, std::int64_t rows, std::int64_t cols, std::uint32_t block);
// The same from raw bundle bytes (data and scales borrowed for the call).
std::vector<float> dequantize_q8(std::span<const std::uint8_t> data, std::span<const std::uint8_t> scales,
                                 std::int64_t rows, std::int64_t cols);
std::vector<float> dequantize_q4(std::span<const std::uint8_t> data, std::span<const std::uint8_t> scales,
                                 std::int64_t rows, std::int64_t cols, std::uint32_t block);

// The tiled layouts (bundle.fbs; kernels/qlinear/tiled_pack.h states the rounding):
// dtype Q8T, Q4T or Q6T, K % 32 == 0. Tiles are split over `threads`.
Quantized quantize_tiled(DType dtype, std::span<const float> w, std::int64_t rows, std::int64_t cols, int threads);
std::vector<float> dequantize_tiled(const Quantized& q, DType dtype, std::int64_t rows, std::int64_t cols);

// f32 -> f16 bytes; kOutOfRange naming the first element that overflows f16.
Result<std::vector<std::uint8_t>> encode_f16(std::span<const float> w);
std::vector<float> decode_f16(std::span<const std::uint8_t> bytes);

struct ErrorStats {
  double max_abs = 0;   // max |w - w'|
  double rel_rms = 0;   // sqrt(sum (w - w')^2 / sum w^2)  (0 when w is all zero)
  double sum_sq_err = 0;
  double sum_sq_ref = 0;
};
ErrorStats measure_error(std::span<const float> reference, std::span<const float> approx);

// Splits [0, n) into `threads` contiguous ranges and runs fn(begin, end) on each, on
// threads-1 extra std::threads plus the caller. fn must be safe to run concurrently.
// Each thread is an exception boundary: what fn throws on any thread is caught there,
// every thread is joined, and the first range's exception is rethrown on the caller
// (as if the ranges had run one after another), never std::terminate.
template <typename Fn>
void parallel_rows(std::int64_t n, int threads, Fn&& fn);

}  // namespace linnet::convert

#include <exception>
#include <thread>

namespace linnet::convert {

template <typename Fn>
void parallel_rows(std::int64_t n, int threads, Fn&& fn) {
  const std::int64_t t = std::max<std::int64_t>(1, std::min<std::int64_t>(threads, n));
  if (t <= 1) {
    fn(std::int64_t{0}, n);
    return;
  }
  std::vector<std::exception_ptr> thrown(static_cast<std::size_t>(t));  // by range
  auto run = [&fn, &thrown](std::int64_t range, std::int64_t b, std::int64_t e) noexcept {
    try {
      fn(b, e);
    } catch (...) {
      thrown[static_cast<std::size_t>(range)] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  const std::int64_t chunk = (n + t - 1) / t;
  std::exception_ptr start_failed;
  try {
    for (std::int64_t i = 1; i < t; ++i) {
      const std::int64_t b = std::min(n, i * chunk), e = std::min(n, (i + 1) * chunk);
      pool.emplace_back(run, i, b, e);
    }
  } catch (...) {  // a thread could not start: join the others, then report it
    start_failed = std::current_exception();
  }
  if (!start_failed) run(0, 0, std::min(n, chunk));
  for (auto& th : pool) th.join();
  if (start_failed) std::rethrow_exception(start_failed);
  for (const std::exception_ptr& e : thrown) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace linnet::convert
