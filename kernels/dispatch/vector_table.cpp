// The vector tier: the portable vector kernels of kernels/vec (x86-64-v3 clones picked at
// load on x86-64), what x86 runs and the aarch64 fallback. The DeltaNet gates and rope come
// from the reference (a few scalars a token; no vector form).
#include "kernels/dispatch/kernel_table.h"
#include "kernels/vec/attention_vec.h"
#include "kernels/vec/elementwise_vec.h"
#include "kernels/vec/gated_delta_vec.h"

namespace linnet::kernels {

namespace {

constexpr KernelTable kVectorTable{
    .rmsnorm = rmsnorm_vec,
    .rmsnorm_gated = rmsnorm_gated_vec,
    .l2norm_scale = l2norm_scale_vec,
    .causal_conv1d_silu = causal_conv1d_silu_vec,
    .causal_conv1d_silu_range = causal_conv1d_silu_range_vec,
    .swiglu = swiglu_vec,
    .mul_sigmoid = mul_sigmoid_vec,
    .gated_delta_step_head = gated_delta_step_head_vec,
    .gated_delta_chunked_head = gated_delta_chunked_head_vec,
    .attention_decode_head_f32 = attention_decode_head_vec<float>,
    .attention_decode_head_f16 = attention_decode_head_vec<Half>,
    .attention_prefill_head_f32 = attention_prefill_head_vec<float>,
    .attention_prefill_head_f16 = attention_prefill_head_vec<Half>,
    .attention_decode_head_i8 = attention_decode_head_i8_vec,
    .attention_prefill_head_i8 = attention_prefill_head_i8_vec,
};

}  // namespace

const KernelTable* vector_kernel_table() { return &kVectorTable; }

}  // namespace linnet::kernels
