// Partial rotary position embedding of the gated attention layers
// (../shared/docs/qwen35-reference.md, "Gated attention layer", step 3).
// Only the first rotary_dim dims of each head rotate; pairs are (i, i + rotary_dim/2).
// Computed in float32 like the reference: inv_freq[i] = 1 / theta^(2i/rotary_dim),
// angle = float(position) * inv_freq[i].
#pragma once

#include <cstddef>
#include <cstdint>

namespace linnet::kernels {

// Fills cos_out[i], sin_out[i] for i < rotary_dim/2 at `position`. Both caller-owned,
// rotary_dim/2 floats each.
void rope_cos_sin_ref(std::int64_t position, int rotary_dim, double theta, float* cos_out,
                      float* sin_out);

// Rotates `heads` vectors in place; head h starts at x + h * stride. With half = rotary_dim/2:
//   x'[i]      = x[i] * cos[i] - x[i + half] * sin[i]
//   x'[i+half] = x[i + half] * cos[i] + x[i] * sin[i]        for i < half.
// Dims rotary_dim.. of each head are left unchanged. cos, sin: [half] from rope_cos_sin_ref.
void rope_apply_ref(float* x, int heads, std::size_t stride, int rotary_dim, const float* cos,
                    const float* sin);

}  // namespace linnet::kernels
