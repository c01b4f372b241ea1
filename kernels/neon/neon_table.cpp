// The NEON kernel table (aarch64): NEON intrinsics for every family but the DeltaNet gates
// (16 scalars a token, log1p has no vector form here), which stay on the reference.
#include "kernels/dispatch/kernel_table.h"
#include "kernels/neon/attention_neon.h"
#include "kernels/neon/elementwise_neon.h"
#include "kernels/neon/gated_delta_neon.h"
#include "kernels/neon/rmsnorm_neon.h"
#include "kernels/reference/gated_delta_ref.h"

namespace linnet::kernels {

namespace {

constexpr KernelTable kNeonTable = {
    "neon",
    rmsnorm_neon,
    rmsnorm_gated_neon,
    l2norm_scale_neon,
    causal_conv1d_silu_neon,
    causal_conv1d_silu_range_neon,
    gated_delta_gates_ref,
    swiglu_neon,
    mul_sigmoid_neon,
    rope_apply_neon,
    gated_delta_step_head_neon,
    gated_delta_chunked_head_neon,
    attention_decode_head_neon<float>,
    attention_decode_head_neon<Half>,
    attention_prefill_head_neon<float>,
    attention_prefill_head_neon<Half>,
    attention_decode_head_i8_neon,
    attention_prefill_head_i8_neon,
};

}  // namespace

const KernelTable* neon_kernel_table() { return &kNeonTable; }

}  // namespace linnet::kernels
