#include "kernels/reference/attention_ref.h"

#include <algorithm>
#include <cmath>

namespace linnet::kernels {
namespace {

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

// Element i of row p of one KV head's cache, as float: [capacity, hd] floats, or int8
// values times the row's scale.
float cache_value(const float* rows, int p, int i, int hd) { return rows[sz(p) * sz(hd) + sz(i)]; }
float cache_value(Int8Rows rows, int p, int i, int hd) {
  return static_cast<float>(rows.values[sz(p) * sz(hd) + sz(i)]) * rows.scales[p];
}
const float* head_rows(const float* cache, int kv_head, int capacity, int hd) {
  return cache + sz(kv_head) * sz(capacity) * sz(hd);
}
Int8Rows head_rows(Int8Rows cache, int kv_head, int capacity, int hd) {
  return cache.from_row(sz(kv_head) * sz(capacity), sz(hd));
}

// q . (row p of k)
template <typename Rows>
float dot(const float* q, Rows k, int p, int hd) {
  float sum = 0.0f;
  for (int i = 0; i < hd; ++i) sum += q[i] * cache_value(k, p, i, hd);
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

// out[hd] = sum_p probs[p] * v[p] over rows p < n.
template <typename Rows>
void weighted_sum(const float* probs, int n, Rows v, int hd, float* out) {
  for (int i = 0; i < hd; ++i) out[i] = 0.0f;
  for (int p = 0; p < n; ++p) {
    const float w = probs[p];
    for (int i = 0; i < hd; ++i) out[i] += w * cache_value(v, p, i, hd);
  }
}

template <typename Cache>
void decode(const AttentionShape& shape, const float* q, std::size_t q_head_stride, Cache k_cache, Cache v_cache,
            int capacity, int n_keys, float* out, float* scratch) {
  const int hd = shape.head_dim;
  const int group = shape.num_heads / shape.num_kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int h = 0; h < shape.num_heads; ++h) {
    const float* qh = q + sz(h) * q_head_stride;
    const Cache kc = head_rows(k_cache, h / group, capacity, hd);
    for (int p = 0; p < n_keys; ++p) scratch[p] = dot(qh, kc, p, hd) * scale;
    softmax(scratch, n_keys);
    weighted_sum(scratch, n_keys, head_rows(v_cache, h / group, capacity, hd), hd, out + sz(h) * sz(hd));
  }
}

template <typename Cache>
void prefill(const AttentionShape& shape, int T, int first_position, const float* q, std::size_t q_token_stride,
             std::size_t q_head_stride, Cache k_cache, Cache v_cache, int capacity, float* out, float* scratch) {
  const int hd = shape.head_dim;
  const int group = shape.num_heads / shape.num_kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const std::size_t out_stride = sz(shape.num_heads) * sz(hd);
  for (int h = 0; h < shape.num_heads; ++h) {
    const Cache kc = head_rows(k_cache, h / group, capacity, hd);
    const Cache vc = head_rows(v_cache, h / group, capacity, hd);
    for (int b0 = 0; b0 < T; b0 += kAttentionQueryBlock) {
      const int rows = std::min(kAttentionQueryBlock, T - b0);
      // S [rows, keys]: row r (position first_position + b0 + r) sees keys [0, n_r).
      for (int r = 0; r < rows; ++r) {
        const int t = b0 + r;
        const int n_r = first_position + t + 1;
        const float* qt = q + sz(t) * q_token_stride + sz(h) * q_head_stride;
        float* s = scratch + sz(r) * sz(capacity);
        for (int p = 0; p < n_r; ++p) s[p] = dot(qt, kc, p, hd) * scale;
        softmax(s, n_r);
        weighted_sum(s, n_r, vc, hd, out + sz(t) * out_stride + sz(h) * sz(hd));
      }
    }
  }
}

}  // namespace

void attention_decode_ref(const AttentionShape& shape, const float* q, std::size_t q_head_stride,
                          const float* k_cache, const float* v_cache, int capacity, int n_keys,
                          float* out, float* scratch) {
  decode(shape, q, q_head_stride, k_cache, v_cache, capacity, n_keys, out, scratch);
}

void attention_decode_ref(const AttentionShape& shape, const float* q, std::size_t q_head_stride,
                          Int8Rows k_cache, Int8Rows v_cache, int capacity, int n_keys, float* out,
                          float* scratch) {
  decode(shape, q, q_head_stride, k_cache, v_cache, capacity, n_keys, out, scratch);
}

std::size_t attention_prefill_scratch_floats(int capacity) {
  return sz(kAttentionQueryBlock) * sz(capacity);
}

void attention_prefill_ref(const AttentionShape& shape, int T, int first_position, const float* q,
                           std::size_t q_token_stride, std::size_t q_head_stride,
                           const float* k_cache, const float* v_cache, int capacity, float* out,
                           float* scratch) {
  prefill(shape, T, first_position, q, q_token_stride, q_head_stride, k_cache, v_cache, capacity, out, scratch);
}

void attention_prefill_ref(const AttentionShape& shape, int T, int first_position, const float* q,
                           std::size_t q_token_stride, std::size_t q_head_stride, Int8Rows k_cache,
                           Int8Rows v_cache, int capacity, float* out, float* scratch) {
  prefill(shape, T, first_position, q, q_token_stride, q_head_stride, k_cache, v_cache, capacity, out, scratch);
}

}  // namespace linnet::kernels
