// The non-linear kernels of the forward pass as the executor calls them: whole-layer
// operations that pick one implementation table at load (kernel_table.h, chosen from the
// ordered list kernel_tiers(): NEON on aarch64, the portable vector kernels elsewhere, the
// reference on request) and spread the work over the shared thread pool: DeltaNet and
// attention by head, norms, conv channels and activations by rows.
//
// Every method has the contract of the reference kernel of the same name
// (kernels/reference/*.h). Scratch for the per-head kernels is per thread: `scratch` holds
// pool threads x `scratch_floats_per_thread` floats, sized by the static *_scratch_floats().
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "kernels/dispatch/kernel_table.h"
#include "kernels/platform/cpu_features.h"
#include "kernels/platform/thread_pool.h"
#include "kernels/reference/attention_ref.h"
#include "kernels/reference/gated_delta_ref.h"

namespace linnet::kernels {

// A family of tables, what ExecutorOptions::reference_kernels and the tests force.
enum class KernelTier : std::uint8_t { kReference = 0, kVector = 1, kNeon = 2 };

// One row of the kernel choice: a table, and the CPUs it runs on.
struct KernelTierEntry {
  const char* name;  // "neon+dotprod", "neon", "vector", "reference"
  KernelTier tier;
  bool (*runs_on)(const CpuFeatures& features);
  const KernelTable* (*declared_table)();  // what the tier's table file names; null: not in this build
};

// Every table, fastest first: KernelSet::select takes the first this CPU runs, and fills the
// entries its table leaves out from the ones after it. The last is the reference, which runs
// everywhere and names every entry.
std::span<const KernelTierEntry> kernel_tiers();

class KernelSet {
 public:
  // The first entry of kernel_tiers() that this build has and `features` runs; with `force`,
  // the first such entry from the forced tier's first entry on (a forced NEON tier on a CPU
  // without NEON gets the vector tier). Its table is completed here, once: each entry the
  // tier leaves out comes from the next usable entry below it, down to the reference.
  // pool: borrowed, outlives the set; null runs everything on the caller.
  static KernelSet select(const CpuFeatures& features, const ThreadPool* pool,
                          std::optional<KernelTier> force = std::nullopt);

  KernelTier tier() const { return tier_; }
  const char* name() const { return name_; }
  const KernelTable& table() const { return table_; }  // complete: no null entry
  int threads() const { return pool_ != nullptr ? pool_->threads() : 1; }

  // Per-thread scratch any tier needs (the memory plan uses these).
  static std::size_t gated_delta_prefill_scratch_floats(const GatedDeltaShape& shape);
  static std::size_t attention_prefill_scratch_floats(int capacity);

  // ---- element-wise and per-row (rows split over threads when there are many) ----
  void rmsnorm(const float* x, const float* w, int rows, int n, std::size_t stride, float eps, float* y) const;
  void rmsnorm_gated(const float* x, const float* z, const float* w, int rows, int n, std::size_t stride, float eps,
                     float* y) const;
  void l2norm_scale(float* x, int rows, int n, std::size_t stride, float eps, float scale) const;
  void causal_conv1d_silu(const float* x, int T, int C, const float* w, int K, float* state, float* y) const;
  void gated_delta_gates(const float* a, const float* b, const float* a_log, const float* dt_bias, int T, int Hv,
                         float* g, float* beta) const;
  void swiglu(const float* gate, const float* up, std::size_t n, float* out) const;
  void mul_sigmoid(float* x, const float* gate, std::size_t n) const;
  void rope_apply(float* x, int heads, std::size_t stride, int rotary_dim, const float* cos, const float* sin) const;

  // ---- whole layer, heads over threads ----
  void gated_delta_decode(const GatedDeltaShape& shape, const float* qkv, const float* g, const float* beta,
                          float* state, float* o) const;
  void gated_delta_prefill(const GatedDeltaShape& shape, int T, const float* qkv, const float* g, const float* beta,
                           float* state, float* o, float* scratch, std::size_t scratch_floats_per_thread) const;

  // KV caches [Hkv, capacity, hd]: Cache is const float*, const Half* or Int8Rows (rows
  // [Hkv * capacity] of int8 values with a scale each). q head h at q + h * q_head_stride.
  template <typename Cache>
  void attention_decode(const AttentionShape& shape, const float* q, std::size_t q_head_stride, Cache k_cache,
                        Cache v_cache, int capacity, int n_keys, float* out, float* scratch,
                        std::size_t scratch_floats_per_thread) const;
  template <typename Cache>
  void attention_prefill(const AttentionShape& shape, int T, int first_position, const float* q,
                         std::size_t q_token_stride, std::size_t q_head_stride, Cache k_cache, Cache v_cache,
                         int capacity, float* out, float* scratch, std::size_t scratch_floats_per_thread) const;

 private:
  KernelSet(const KernelTable& table, const char* name, KernelTier tier, const ThreadPool* pool)
      : table_(table), name_(name), tier_(tier), pool_(pool) {}

  template <typename Fn>
  void rows_parallel(int rows, int min_rows_per_task, Fn&& fn) const;

  KernelTable table_;  // completed at select()
  const char* name_;
  KernelTier tier_;
  const ThreadPool* pool_;  // borrowed
};

}  // namespace linnet::kernels
