#include "kernels/dispatch/kernel_set.h"

#include <algorithm>

#include "kernels/vec/attention_vec.h"
#include "kernels/vec/gated_delta_vec.h"

namespace linnet::kernels {

namespace {

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

bool any_cpu(const CpuFeatures&) { return true; }
bool has_neon(const CpuFeatures& f) { return f.neon; }
bool has_neon_dotprod(const CpuFeatures& f) { return f.neon && f.dotprod; }

// The kernel choice, fastest first (kernel_tiers()). A new tier is its table file and one
// line here, above the tiers it falls back to.
constexpr KernelTierEntry kTiers[] = {
    {"neon+dotprod", KernelTier::kNeon, has_neon_dotprod, neon_dotprod_kernel_table},
    {"neon", KernelTier::kNeon, has_neon, neon_kernel_table},
    {"vector", KernelTier::kVector, any_cpu, vector_kernel_table},
    {"reference", KernelTier::kReference, any_cpu, reference_kernel_table},
};

}  // namespace

std::span<const KernelTierEntry> kernel_tiers() { return kTiers; }

KernelSet KernelSet::select(const CpuFeatures& features, const ThreadPool* pool, std::optional<KernelTier> force) {
  const std::span<const KernelTierEntry> tiers = kernel_tiers();
  const auto usable = [&](const KernelTierEntry& e) { return e.declared_table() != nullptr && e.runs_on(features); };
  std::size_t chosen = 0;
  if (force)
    while (chosen + 1 < tiers.size() && tiers[chosen].tier != *force) ++chosen;
  // The last entry, the reference, is usable on every CPU.
  while (chosen + 1 < tiers.size() && !usable(tiers[chosen])) ++chosen;
  // Completed bottom-up: each usable table from the reference up to the chosen one takes the
  // entries it leaves out from the completed table below it.
  KernelTable table{};
  for (std::size_t i = tiers.size(); i-- > chosen;)
    if (usable(tiers[i])) table = complete_with(*tiers[i].declared_table(), table);
  return KernelSet(table, tiers[chosen].name, tiers[chosen].tier, pool);
}

std::size_t KernelSet::gated_delta_prefill_scratch_floats(const GatedDeltaShape& shape) {
  return std::max(gated_delta_chunk_scratch_floats(shape.key_dim, shape.value_dim),
                  gated_delta_chunk_scratch_floats_vec(shape.key_dim, shape.value_dim));
}

std::size_t KernelSet::attention_prefill_scratch_floats(int capacity) {
  return std::max(kernels::attention_prefill_scratch_floats(capacity), attention_prefill_head_scratch_floats(capacity));
}

// Splits rows into tasks of at least min_rows_per_task rows; fn(first_row, row_count).
template <typename Fn>
void KernelSet::rows_parallel(int rows, int min_rows_per_task, Fn&& fn) const {
  if (pool_ == nullptr || pool_->threads() == 1 || rows < 2 * min_rows_per_task) {
    fn(0, rows);
    return;
  }
  pool_->parallel_for_ranges(sz(rows), sz(min_rows_per_task), [&](std::size_t b, std::size_t e) {
    fn(static_cast<int>(b), static_cast<int>(e - b));
  });
}

void KernelSet::rmsnorm(const float* x, const float* w, int rows, int n, std::size_t stride, float eps,
                        float* y) const {
  rows_parallel(rows, 16, [&](int r0, int count) {
    table_.rmsnorm(x + sz(r0) * stride, w, count, n, stride, eps, y + sz(r0) * stride);
  });
}

void KernelSet::rmsnorm_gated(const float* x, const float* z, const float* w, int rows, int n, std::size_t stride,
                              float eps, float* y) const {
  rows_parallel(rows, 32, [&](int r0, int count) {
    const std::size_t off = sz(r0) * stride;
    table_.rmsnorm_gated(x + off, z + off, w, count, n, stride, eps, y + off);
  });
}

void KernelSet::l2norm_scale(float* x, int rows, int n, std::size_t stride, float eps, float scale) const {
  rows_parallel(rows, 64, [&](int r0, int count) { table_.l2norm_scale(x + sz(r0) * stride, count, n, stride, eps, scale); });
}

void KernelSet::causal_conv1d_silu(const float* x, int T, int C, const float* w, int K, float* state,
                                   float* y) const {
  // Channels are independent: split them over threads in multiples of 8 when the work is
  // worth it.
  if (pool_ == nullptr || pool_->threads() == 1 || static_cast<long>(T) * C < 16384) {
    table_.causal_conv1d_silu(x, T, C, w, K, state, y);
    return;
  }
  const std::size_t groups = sz(C + 7) / 8;
  pool_->parallel_for_ranges(groups, 16, [&](std::size_t b, std::size_t e) {
    table_.causal_conv1d_silu_range(x, T, C, w, K, state, y, static_cast<int>(b * 8),
                                     std::min(C, static_cast<int>(e * 8)));
  });
}

void KernelSet::gated_delta_gates(const float* a, const float* b, const float* a_log, const float* dt_bias, int T,
                                  int Hv, float* g, float* beta) const {
  table_.gated_delta_gates(a, b, a_log, dt_bias, T, Hv, g, beta);
}

void KernelSet::swiglu(const float* gate, const float* up, std::size_t n, float* out) const {
  if (pool_ == nullptr || n < 65536) {
    table_.swiglu(gate, up, n, out);
    return;
  }
  pool_->parallel_for_ranges(n, 16384, [&](std::size_t b, std::size_t e) { table_.swiglu(gate + b, up + b, e - b, out + b); });
}

void KernelSet::mul_sigmoid(float* x, const float* gate, std::size_t n) const { table_.mul_sigmoid(x, gate, n); }

void KernelSet::rope_apply(float* x, int heads, std::size_t stride, int rotary_dim, const float* cos,
                           const float* sin) const {
  table_.rope_apply(x, heads, stride, rotary_dim, cos, sin);
}

namespace {

struct HeadPointers {
  const float* q;
  const float* k;
  const float* v;
};

// Value head h's q, k, v inside a conv-output row (value head h reads key head h / group).
HeadPointers head_pointers(const GatedDeltaShape& s, const float* qkv, int h) {
  const int kh = h / (s.num_value_heads / s.num_key_heads);
  const std::size_t key_block = sz(s.num_key_heads) * sz(s.key_dim);
  return {qkv + sz(kh) * sz(s.key_dim), qkv + key_block + sz(kh) * sz(s.key_dim),
          qkv + 2 * key_block + sz(h) * sz(s.value_dim)};
}

}  // namespace

void KernelSet::gated_delta_decode(const GatedDeltaShape& shape, const float* qkv, const float* g, const float* beta,
                                   float* state, float* o) const {
  const std::size_t head_state = sz(shape.key_dim) * sz(shape.value_dim);
  const auto head = [&](std::size_t h) {
    const HeadPointers p = head_pointers(shape, qkv, static_cast<int>(h));
    table_.gated_delta_step_head(shape.key_dim, shape.value_dim, p.q, p.k, p.v, g[h], beta[h],
                                  state + h * head_state, o + h * sz(shape.value_dim));
  };
  if (pool_ == nullptr) {
    for (std::size_t h = 0; h < sz(shape.num_value_heads); ++h) head(h);
  } else {
    pool_->parallel_for(sz(shape.num_value_heads), head);
  }
}

void KernelSet::gated_delta_prefill(const GatedDeltaShape& shape, int T, const float* qkv, const float* g,
                                    const float* beta, float* state, float* o, float* scratch,
                                    std::size_t scratch_floats_per_thread) const {
  const std::size_t head_state = sz(shape.key_dim) * sz(shape.value_dim);
  const std::size_t qkv_stride = sz(shape.qkv_channels());
  const std::size_t gate_stride = sz(shape.num_value_heads);
  const std::size_t o_stride = gate_stride * sz(shape.value_dim);
  const auto head = [&](std::size_t thread, std::size_t h) {
    const HeadPointers p = head_pointers(shape, qkv, static_cast<int>(h));
    table_.gated_delta_chunked_head(shape.key_dim, shape.value_dim, T, p.q, p.k, p.v, qkv_stride, g + h, beta + h,
                                     gate_stride, state + h * head_state, o + h * sz(shape.value_dim), o_stride,
                                     scratch + thread * scratch_floats_per_thread);
  };
  if (pool_ == nullptr) {
    for (std::size_t h = 0; h < sz(shape.num_value_heads); ++h) head(0, h);
  } else {
    pool_->parallel_for_with_thread(sz(shape.num_value_heads), head);
  }
}

namespace {

// One KV head's rows of a cache [Hkv, capacity, hd].
template <typename T>
const T* head_rows(const T* cache, std::size_t kv_head, int capacity, std::size_t hd) {
  return cache + kv_head * sz(capacity) * hd;
}
Int8Rows head_rows(Int8Rows cache, std::size_t kv_head, int capacity, std::size_t hd) {
  return cache.from_row(kv_head * sz(capacity), hd);
}

// The table's per-head entry for each cache element type.
void decode_head(const KernelTable& t, int hd, const float* q, const float* k, const float* v, int n, float* out,
                 float* s) {
  t.attention_decode_head_f32(hd, q, k, v, n, out, s);
}
void decode_head(const KernelTable& t, int hd, const float* q, const Half* k, const Half* v, int n, float* out,
                 float* s) {
  t.attention_decode_head_f16(hd, q, k, v, n, out, s);
}
void decode_head(const KernelTable& t, int hd, const float* q, Int8Rows k, Int8Rows v, int n, float* out, float* s) {
  t.attention_decode_head_i8(hd, q, k, v, n, out, s);
}
using PrefillF32 = decltype(KernelTable::attention_prefill_head_f32);
using PrefillF16 = decltype(KernelTable::attention_prefill_head_f16);
using PrefillI8 = decltype(KernelTable::attention_prefill_head_i8);
PrefillF32 prefill_head(const KernelTable& t, const float*) { return t.attention_prefill_head_f32; }
PrefillF16 prefill_head(const KernelTable& t, const Half*) { return t.attention_prefill_head_f16; }
PrefillI8 prefill_head(const KernelTable& t, Int8Rows) { return t.attention_prefill_head_i8; }

}  // namespace

template <typename Cache>
void KernelSet::attention_decode(const AttentionShape& shape, const float* q, std::size_t q_head_stride,
                                 Cache k_cache, Cache v_cache, int capacity, int n_keys, float* out, float* scratch,
                                 std::size_t scratch_floats_per_thread) const {
  const int group = shape.num_heads / shape.num_kv_heads;
  const std::size_t hd = sz(shape.head_dim);
  const auto head = [&](std::size_t thread, std::size_t h) {
    const std::size_t kv_head = h / sz(group);
    decode_head(table_, shape.head_dim, q + h * q_head_stride, head_rows(k_cache, kv_head, capacity, hd),
                head_rows(v_cache, kv_head, capacity, hd), n_keys, out + h * hd,
                scratch + thread * scratch_floats_per_thread);
  };
  if (pool_ == nullptr) {
    for (std::size_t h = 0; h < sz(shape.num_heads); ++h) head(0, h);
  } else {
    pool_->parallel_for_with_thread(sz(shape.num_heads), head);
  }
}

template <typename Cache>
void KernelSet::attention_prefill(const AttentionShape& shape, int T, int first_position, const float* q,
                                  std::size_t q_token_stride, std::size_t q_head_stride, Cache k_cache,
                                  Cache v_cache, int capacity, float* out, float* scratch,
                                  std::size_t scratch_floats_per_thread) const {
  const auto per_head = prefill_head(table_, k_cache);
  const int group = shape.num_heads / shape.num_kv_heads;
  const std::size_t hd = sz(shape.head_dim);
  const std::size_t out_stride = sz(shape.num_heads) * hd;
  const auto head = [&](std::size_t thread, std::size_t h) {
    const std::size_t kv_head = h / sz(group);
    per_head(shape.head_dim, T, first_position, q + h * q_head_stride, q_token_stride,
             head_rows(k_cache, kv_head, capacity, hd), head_rows(v_cache, kv_head, capacity, hd), out + h * hd,
             out_stride, scratch + thread * scratch_floats_per_thread);
  };
  if (pool_ == nullptr) {
    for (std::size_t h = 0; h < sz(shape.num_heads); ++h) head(0, h);
  } else {
    pool_->parallel_for_with_thread(sz(shape.num_heads), head);
  }
}

#define LINNET_ATTENTION_INSTANCES(Cache)                                                                          \
  template void KernelSet::attention_decode<Cache>(const AttentionShape&, const float*, std::size_t, Cache, Cache, \
                                                   int, int, float*, float*, std::size_t) const;                  \
  template void KernelSet::attention_prefill<Cache>(const AttentionShape&, int, int, const float*, std::size_t,    \
                                                    std::size_t, Cache, Cache, int, float*, float*, std::size_t)   \
      const;
LINNET_ATTENTION_INSTANCES(const float*)
LINNET_ATTENTION_INSTANCES(const Half*)
LINNET_ATTENTION_INSTANCES(Int8Rows)
#undef LINNET_ATTENTION_INSTANCES

}  // namespace linnet::kernels
