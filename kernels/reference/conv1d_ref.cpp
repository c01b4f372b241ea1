#include "kernels/reference/conv1d_ref.h"

#include "kernels/reference/activations_ref.h"

namespace linnet::kernels {

void causal_conv1d_silu_ref(const float* x, int T, int C, const float* w, int K, float* state,
                            float* y) {
  causal_conv1d_silu_range_ref(x, T, C, w, K, state, y, 0, C);
}

void causal_conv1d_silu_range_ref(const float* x, int T, int C, const float* w, int K, float* state,
                                  float* y, int c_begin, int c_end) {
  const std::size_t channels = static_cast<std::size_t>(C);
  const std::size_t first = static_cast<std::size_t>(c_begin), end = static_cast<std::size_t>(c_end);
  const int history = K - 1;
  for (int t = 0; t < T; ++t) {
    float* yt = y + static_cast<std::size_t>(t) * channels;
    for (std::size_t c = first; c < end; ++c) {
      float sum = 0.0f;
      for (int j = 0; j < K; ++j) {
        const int s = t - history + j;  // input time of tap j
        const float in = s >= 0 ? x[static_cast<std::size_t>(s) * channels + c]
                                : state[static_cast<std::size_t>(history + s) * channels + c];
        sum += w[c * static_cast<std::size_t>(K) + static_cast<std::size_t>(j)] * in;
      }
      yt[c] = silu(sum);
    }
  }
  // New state: the last K-1 inputs of the sequence (old state followed by x), oldest first.
  // Row r of the new state is input time T - (K-1) + r; rows are filled in increasing r,
  // which only ever reads old-state rows at or after r (time T-(K-1)+r >= r-(K-1)), so the
  // update is safe in place.
  for (int r = 0; r < history; ++r) {
    const int s = T - history + r;
    float* dst = state + static_cast<std::size_t>(r) * channels;
    const float* src = s >= 0 ? x + static_cast<std::size_t>(s) * channels
                              : state + static_cast<std::size_t>(history + s) * channels;
    if (src != dst)
      for (std::size_t c = first; c < end; ++c) dst[c] = src[c];
  }
}

}  // namespace linnet::kernels
