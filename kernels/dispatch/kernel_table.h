// One implementation of every non-linear kernel, as plain function pointers: the table the
// KernelSet (kernel_set.h) picks at load. Each entry has the contract of the reference kernel
// it names (kernels/reference/*.h); the per-head attention and delta-rule entries are the
// single-head forms (kernels/vec/attention_vec.h, kernels/vec/gated_delta_vec.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/reference/int8_rows.h"
#include "kernels/vec/vec_target.h"

namespace linnet::kernels {

struct KernelTable {
  const char* name;  // "reference", "vector", "neon", "neon+dotprod"

  void (*rmsnorm)(const float* x, const float* w, int rows, int n, std::size_t stride, float eps, float* y);
  void (*rmsnorm_gated)(const float* x, const float* z, const float* w, int rows, int n, std::size_t stride,
                        float eps, float* y);
  void (*l2norm_scale)(float* x, int rows, int n, std::size_t stride, float eps, float scale);
  void (*causal_conv1d_silu)(const float* x, int T, int C, const float* w, int K, float* state, float* y);
  // Channels [c_begin, c_end) only (null: the tier has no range form; the whole call runs).
  void (*causal_conv1d_silu_range)(const float* x, int T, int C, const float* w, int K, float* state, float* y,
                                   int c_begin, int c_end);
  void (*gated_delta_gates)(const float* a, const float* b, const float* a_log, const float* dt_bias, int T, int Hv,
                            float* g, float* beta);
  void (*swiglu)(const float* gate, const float* up, std::size_t n, float* out);
  void (*mul_sigmoid)(float* x, const float* gate, std::size_t n);
  void (*rope_apply)(float* x, int heads, std::size_t stride, int rotary_dim, const float* cos, const float* sin);

  void (*gated_delta_step_head)(int dk, int dv, const float* q, const float* k, const float* v, float g, float beta,
                                float* state, float* o);
  void (*gated_delta_chunked_head)(int dk, int dv, int T, const float* q, const float* k, const float* v,
                                   std::size_t qkv_stride, const float* g, const float* beta, std::size_t gate_stride,
                                   float* state, float* o, std::size_t o_stride, float* scratch);

  void (*attention_decode_head_f32)(int hd, const float* q, const float* k, const float* v, int n_keys, float* out,
                                    float* scratch);
  void (*attention_decode_head_f16)(int hd, const float* q, const Half* k, const Half* v, int n_keys, float* out,
                                    float* scratch);
  void (*attention_prefill_head_f32)(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                     const float* k, const float* v, float* out, std::size_t out_stride,
                                     float* scratch);
  void (*attention_prefill_head_f16)(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                     const Half* k, const Half* v, float* out, std::size_t out_stride, float* scratch);
  // The int8 KV cache (Int8Rows: values with a scale per row).
  void (*attention_decode_head_i8)(int hd, const float* q, Int8Rows k, Int8Rows v, int n_keys, float* out,
                                   float* scratch);
  void (*attention_prefill_head_i8)(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                    Int8Rows k, Int8Rows v, float* out, std::size_t out_stride, float* scratch);
};

const KernelTable& reference_kernel_table();
const KernelTable& vector_kernel_table();
// Null when this build has no NEON kernels (not aarch64).
const KernelTable* neon_kernel_table();
// The NEON table with the kernels that need the dot-product extension (SDOT); null when not
// aarch64. Only for CPUs that have it (CpuFeatures::dotprod).
const KernelTable* neon_dotprod_kernel_table();

}  // namespace linnet::kernels
