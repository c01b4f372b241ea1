// Linear layers y = W x over the bundle's weight layouts (runtime/bundle/bundle.fbs),
// dequantizing on the fly; activations stay float32. The oracle for the fast paths.
//   F32/F16/BF16: W [N, K] row-major.
//   Q8: int8 [N, K], f32 scale [N]:            W[n,k] = q[n,k] * scale[n]
//   Q4: uint8 [N, K/2], bf16 scales [N, K/bs]:  W[n,k] = (nibble(n,k) - 8) * scale[n, k/bs],
//       nibble(n,k) in byte n*K/2 + k/2, low nibble for even k.
//   Q8T/Q4T/Q6T: the tiled layouts (kernels/qlinear/tiled_pack.h): W[n,k] = code * scale.
#pragma once

#include <cstdint>
#include <span>

#include "runtime/bundle/model_view.h"

namespace linnet::kernels {

// y[t, n] = sum_k W[n, k] * x[t, k] for t < T, n < N = w.rows(), K = w.cols().
// x [T, K], y [T, N]; caller-owned, call-scoped; y must not alias x.
void linear_ref(const TensorView& w, const float* x, int T, float* y);

// Only the chosen output rows for one input vector: y[i] = sum_k W[rows[i], k] * x[k].
// Each rows[i] must be in [0, N) (checked by the caller). x [K], y [rows.size()].
void linear_rows_ref(const TensorView& w, const float* x, std::span<const std::int32_t> rows,
                     float* y);

// Row n of W as float32: out [K].
void dequantize_row_ref(const TensorView& w, std::int64_t n, float* out);

}  // namespace linnet::kernels
