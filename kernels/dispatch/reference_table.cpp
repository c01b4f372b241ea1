// The reference tier: the plain C++ kernels of kernels/reference, the oracle the other tiers
// are tested against (ExecutorOptions::reference_kernels). It names every entry: the other
// tiers' tables are completed from it.
#include "kernels/dispatch/kernel_table.h"
#include "kernels/reference/activations_ref.h"
#include "kernels/reference/attention_ref.h"
#include "kernels/reference/conv1d_ref.h"
#include "kernels/reference/gated_delta_ref.h"
#include "kernels/reference/rmsnorm_ref.h"
#include "kernels/reference/rope_ref.h"
#include "kernels/vec/attention_vec.h"

namespace linnet::kernels {

namespace {

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

// Per-head attention through the reference, which is written for whole layers: one head is a
// layer of one query head and one KV head. Its prefill computes each query row exactly as a
// decode over the keys that row sees (attention_ref.cpp), so a head's prefill is one decode
// per row, written straight at the caller's output stride: the same values as the whole-layer
// attention_prefill_ref, in n_keys <= capacity floats of scratch.
template <typename Cache>
void attention_decode_head_ref(int hd, const float* q, Cache k, Cache v, int n_keys, float* out, float* scratch) {
  attention_decode_ref(AttentionShape{1, 1, hd}, q, 0, k, v, n_keys, n_keys, out, scratch);
}
template <typename Cache>
void attention_prefill_head_ref(int hd, int T, int first_position, const float* q, std::size_t q_stride, Cache k,
                                Cache v, float* out, std::size_t out_stride, float* scratch) {
  for (int t = 0; t < T; ++t)
    attention_decode_head_ref(hd, q + sz(t) * q_stride, k, v, first_position + t + 1, out + sz(t) * out_stride,
                              scratch);
}

// The reference has no f16-cache attention of its own: the portable kernels serve it (the
// f16 values widened to float, as everywhere).
constexpr KernelTable kReferenceTable{
    .rmsnorm = rmsnorm_ref,
    .rmsnorm_gated = rmsnorm_gated_ref,
    .l2norm_scale = l2norm_scale_ref,
    .causal_conv1d_silu = causal_conv1d_silu_ref,
    .causal_conv1d_silu_range = causal_conv1d_silu_range_ref,
    .gated_delta_gates = gated_delta_gates_ref,
    .swiglu = swiglu_ref,
    .mul_sigmoid = mul_sigmoid_ref,
    .rope_apply = rope_apply_ref,
    .gated_delta_step_head = gated_delta_step_head_ref,
    .gated_delta_chunked_head = gated_delta_chunked_head_ref,
    .attention_decode_head_f32 = attention_decode_head_ref<const float*>,
    .attention_decode_head_f16 = attention_decode_head_vec<Half>,
    .attention_prefill_head_f32 = attention_prefill_head_ref<const float*>,
    .attention_prefill_head_f16 = attention_prefill_head_vec<Half>,
    .attention_decode_head_i8 = attention_decode_head_ref<Int8Rows>,
    .attention_prefill_head_i8 = attention_prefill_head_ref<Int8Rows>,
};
// That it names every entry is checked by kernel_set_test (KernelTiers): not a static_assert,
// since GCC does not fold a function's address against null with the sanitizers on.

}  // namespace

const KernelTable* reference_kernel_table() { return &kReferenceTable; }

}  // namespace linnet::kernels
