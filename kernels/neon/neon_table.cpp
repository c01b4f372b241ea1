// The NEON kernel table (aarch64): NEON intrinsics where a family has them (kernels/neon/),
// the portable vector kernels (which also compile to NEON) elsewhere.
#include "kernels/dispatch/kernel_table.h"
#include "kernels/reference/activations_ref.h"
#include "kernels/reference/conv1d_ref.h"
#include "kernels/reference/gated_delta_ref.h"
#include "kernels/reference/rmsnorm_ref.h"
#include "kernels/reference/rope_ref.h"
#include "kernels/vec/attention_vec.h"
#include "kernels/vec/gated_delta_vec.h"

namespace linnet::kernels {

namespace {

constexpr KernelTable kNeonTable = {
    "neon",
    rmsnorm_ref,
    rmsnorm_gated_ref,
    l2norm_scale_ref,
    causal_conv1d_silu_ref,
    gated_delta_gates_ref,
    swiglu_ref,
    mul_sigmoid_ref,
    rope_apply_ref,
    gated_delta_step_head_vec,
    gated_delta_chunked_head_vec,
    attention_decode_head_vec<float>,
    attention_decode_head_vec<Half>,
    attention_prefill_head_vec<float>,
    attention_prefill_head_vec<Half>,
};

}  // namespace

const KernelTable* neon_kernel_table() { return &kNeonTable; }

}  // namespace linnet::kernels
