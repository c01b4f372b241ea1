#include "kernels/reference/attention_ref.h"

#include <algorithm>
#include <cmath>

namespace linnet::kernels {
namespace {

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

float dot(const float* a, const float* b, int n) {
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// In place softmax of n scores.
void softmax(float* scores, int n) {
  float max_score = scores[0];
  for (int p = 1; p < n; ++p) max_score = std::max(max_score, scores[p]);
  float sum = 0.0f;
  for (int p = 0; p < n; ++p) {
    scores[p] = std::exp(scores[p] - max_score);
    sum += scores[p];
  }
  const float inv = 1.0f / sum;
  for (int p = 0; p < n; ++p) scores[p] *= inv;
}

// out[hd] = sum_p probs[p] * v[p], v rows of hd floats.
void weighted_sum(const float* probs, int n, const float* v, int hd, float* out) {
  for (int i = 0; i < hd; ++i) out[i] = 0.0f;
  for (int p = 0; p < n; ++p) {
    const float w = probs[p];
    const float* vp = v + sz(p) * sz(hd);
    for (int i = 0; i < hd; ++i) out[i] += w * vp[i];
  }
}

}  // namespace

void attention_decode_ref(const AttentionShape& shape, const float* q, std::size_t q_head_stride,
                          const float* k_cache, const float* v_cache, int capacity, int n_keys,
                          float* out, float* scratch) {
  const int hd = shape.head_dim;
  const int group = shape.num_heads / shape.num_kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int h = 0; h < shape.num_heads; ++h) {
    const std::size_t kv_offset = sz(h / group) * sz(capacity) * sz(hd);
    const float* qh = q + sz(h) * q_head_stride;
    const float* kc = k_cache + kv_offset;
    for (int p = 0; p < n_keys; ++p) scratch[p] = dot(qh, kc + sz(p) * sz(hd), hd) * scale;
    softmax(scratch, n_keys);
    weighted_sum(scratch, n_keys, v_cache + kv_offset, hd, out + sz(h) * sz(hd));
  }
}

std::size_t attention_prefill_scratch_floats(int capacity) {
  return sz(kAttentionQueryBlock) * sz(capacity);
}

void attention_prefill_ref(const AttentionShape& shape, int T, int first_position, const float* q,
                           std::size_t q_token_stride, std::size_t q_head_stride,
                           const float* k_cache, const float* v_cache, int capacity, float* out,
                           float* scratch) {
  const int hd = shape.head_dim;
  const int group = shape.num_heads / shape.num_kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const std::size_t out_stride = sz(shape.num_heads) * sz(hd);
  for (int h = 0; h < shape.num_heads; ++h) {
    const std::size_t kv_offset = sz(h / group) * sz(capacity) * sz(hd);
    const float* kc = k_cache + kv_offset;
    const float* vc = v_cache + kv_offset;
    for (int b0 = 0; b0 < T; b0 += kAttentionQueryBlock) {
      const int rows = std::min(kAttentionQueryBlock, T - b0);
      // S [rows, keys]: row r (position first_position + b0 + r) sees keys [0, n_r).
      for (int r = 0; r < rows; ++r) {
        const int t = b0 + r;
        const int n_r = first_position + t + 1;
        const float* qt = q + sz(t) * q_token_stride + sz(h) * q_head_stride;
        float* s = scratch + sz(r) * sz(capacity);
        for (int p = 0; p < n_r; ++p) s[p] = dot(qt, kc + sz(p) * sz(hd), hd) * scale;
        softmax(s, n_r);
        weighted_sum(s, n_r, vc, hd, out + sz(t) * out_stride + sz(h) * sz(hd));
      }
    }
  }
}

}  // namespace linnet::kernels
