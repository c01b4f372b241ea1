// One implementation of every non-linear kernel, as plain function pointers: the table the
// KernelSet (kernel_set.h) picks at load. Each entry has the contract of the reference kernel
// it names (kernels/reference/*.h); the per-head attention and delta-rule entries are the
// single-head forms (kernels/vec/attention_vec.h, kernels/vec/gated_delta_vec.h).
//
// A tier's table file names only the kernels the tier has, with designated initializers
// (`.rmsnorm = rmsnorm_neon`); the entries it leaves out are null there. At load,
// KernelSet::select fills them from the tiers below it (complete_with), down to the
// reference, which has every entry: the table the executor calls through has no null entry,
// so the hot path never checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>

#include "kernels/reference/int8_rows.h"
#include "kernels/vec/vec_target.h"

namespace linnet::kernels {

struct KernelTable {
  // Null: the tier's table file leaves the entry out (it is completed from the tiers below).
  void (*rmsnorm)(const float* x, const float* w, int rows, int n, std::size_t stride, float eps, float* y) = nullptr;
  void (*rmsnorm_gated)(const float* x, const float* z, const float* w, int rows, int n, std::size_t stride,
                        float eps, float* y) = nullptr;
  void (*l2norm_scale)(float* x, int rows, int n, std::size_t stride, float eps, float scale) = nullptr;
  void (*causal_conv1d_silu)(const float* x, int T, int C, const float* w, int K, float* state, float* y) = nullptr;
  // Channels [c_begin, c_end) only: the KernelSet splits channels over threads with it.
  void (*causal_conv1d_silu_range)(const float* x, int T, int C, const float* w, int K, float* state, float* y,
                                   int c_begin, int c_end) = nullptr;
  void (*gated_delta_gates)(const float* a, const float* b, const float* a_log, const float* dt_bias, int T, int Hv,
                            float* g, float* beta) = nullptr;
  void (*swiglu)(const float* gate, const float* up, std::size_t n, float* out) = nullptr;
  void (*mul_sigmoid)(float* x, const float* gate, std::size_t n) = nullptr;
  void (*rope_apply)(float* x, int heads, std::size_t stride, int rotary_dim, const float* cos,
                     const float* sin) = nullptr;

  void (*gated_delta_step_head)(int dk, int dv, const float* q, const float* k, const float* v, float g, float beta,
                                float* state, float* o) = nullptr;
  void (*gated_delta_chunked_head)(int dk, int dv, int T, const float* q, const float* k, const float* v,
                                   std::size_t qkv_stride, const float* g, const float* beta, std::size_t gate_stride,
                                   float* state, float* o, std::size_t o_stride, float* scratch) = nullptr;

  void (*attention_decode_head_f32)(int hd, const float* q, const float* k, const float* v, int n_keys, float* out,
                                    float* scratch) = nullptr;
  void (*attention_decode_head_f16)(int hd, const float* q, const Half* k, const Half* v, int n_keys, float* out,
                                    float* scratch) = nullptr;
  void (*attention_prefill_head_f32)(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                     const float* k, const float* v, float* out, std::size_t out_stride,
                                     float* scratch) = nullptr;
  void (*attention_prefill_head_f16)(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                     const Half* k, const Half* v, float* out, std::size_t out_stride,
                                     float* scratch) = nullptr;
  // The int8 KV cache (Int8Rows: values with a scale per row).
  void (*attention_decode_head_i8)(int hd, const float* q, Int8Rows k, Int8Rows v, int n_keys, float* out,
                                   float* scratch) = nullptr;
  void (*attention_prefill_head_i8)(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                    Int8Rows k, Int8Rows v, float* out, std::size_t out_stride,
                                    float* scratch) = nullptr;
};

// Every entry of KernelTable with its name, for the code that walks the table (completion and
// the completeness check). An entry added to the struct must be added here too: the
// static_assert below fails otherwise, since the table holds nothing but function pointers.
template <typename Member>
struct KernelTableEntry {
  const char* name;
  Member member;
};
inline constexpr std::tuple kKernelTableEntries{
    KernelTableEntry{"rmsnorm", &KernelTable::rmsnorm},
    KernelTableEntry{"rmsnorm_gated", &KernelTable::rmsnorm_gated},
    KernelTableEntry{"l2norm_scale", &KernelTable::l2norm_scale},
    KernelTableEntry{"causal_conv1d_silu", &KernelTable::causal_conv1d_silu},
    KernelTableEntry{"causal_conv1d_silu_range", &KernelTable::causal_conv1d_silu_range},
    KernelTableEntry{"gated_delta_gates", &KernelTable::gated_delta_gates},
    KernelTableEntry{"swiglu", &KernelTable::swiglu},
    KernelTableEntry{"mul_sigmoid", &KernelTable::mul_sigmoid},
    KernelTableEntry{"rope_apply", &KernelTable::rope_apply},
    KernelTableEntry{"gated_delta_step_head", &KernelTable::gated_delta_step_head},
    KernelTableEntry{"gated_delta_chunked_head", &KernelTable::gated_delta_chunked_head},
    KernelTableEntry{"attention_decode_head_f32", &KernelTable::attention_decode_head_f32},
    KernelTableEntry{"attention_decode_head_f16", &KernelTable::attention_decode_head_f16},
    KernelTableEntry{"attention_prefill_head_f32", &KernelTable::attention_prefill_head_f32},
    KernelTableEntry{"attention_prefill_head_f16", &KernelTable::attention_prefill_head_f16},
    KernelTableEntry{"attention_decode_head_i8", &KernelTable::attention_decode_head_i8},
    KernelTableEntry{"attention_prefill_head_i8", &KernelTable::attention_prefill_head_i8},
};
static_assert(sizeof(KernelTable) == std::tuple_size_v<decltype(kKernelTableEntries)> * sizeof(void (*)()),
              "a KernelTable entry is missing from kKernelTableEntries");

// `tier` with each null entry taken from `below` (the next tier down, already completed).
constexpr KernelTable complete_with(KernelTable tier, const KernelTable& below) {
  const auto fill = [&](const auto& entry) {
    if (tier.*entry.member == nullptr) tier.*entry.member = below.*entry.member;
  };
  std::apply([&](const auto&... entry) { (fill(entry), ...); }, kKernelTableEntries);
  return tier;
}

// The names of the null entries, space-separated; empty when the table is complete.
inline std::string missing_entries(const KernelTable& table) {
  std::string missing;
  const auto note = [&](const auto& entry) {
    if (table.*entry.member != nullptr) return;
    if (!missing.empty()) missing += ' ';
    missing += entry.name;
  };
  std::apply([&](const auto&... entry) { (note(entry), ...); }, kKernelTableEntries);
  return missing;
}

// What each tier's table file declares (only the kernels that tier has; see above). A getter
// returns null when this build has no such kernels (the NEON ones off aarch64).
const KernelTable* reference_kernel_table();  // complete: the end of every completion
const KernelTable* vector_kernel_table();
const KernelTable* neon_kernel_table();
// Only the kernels that need the dot-product extension (SDOT); the rest come from "neon".
const KernelTable* neon_dotprod_kernel_table();

}  // namespace linnet::kernels
