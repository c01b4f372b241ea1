// The NEON kernel tables (aarch64): NEON intrinsics for every family but the DeltaNet gates
// (16 scalars a token, log1p has no vector form here), which come from the tiers below (the
// reference's). A CPU with the dot-product extension (cpuinfo's dotprod: Pi 5, Jetson Orin;
// not the Pi 4) gets "neon+dotprod", which names only the decode over the int8 KV cache with
// SDOT and takes everything else from "neon" (KernelSet::select completes it).
#include "kernels/dispatch/kernel_table.h"
#include "kernels/neon/attention_neon.h"
#include "kernels/neon/elementwise_neon.h"
#include "kernels/neon/gated_delta_neon.h"
#include "kernels/neon/rmsnorm_neon.h"

namespace linnet::kernels {

namespace {

constexpr KernelTable kNeonTable{
    .rmsnorm = rmsnorm_neon,
    .rmsnorm_gated = rmsnorm_gated_neon,
    .l2norm_scale = l2norm_scale_neon,
    .causal_conv1d_silu = causal_conv1d_silu_neon,
    .causal_conv1d_silu_range = causal_conv1d_silu_range_neon,
    .swiglu = swiglu_neon,
    .mul_sigmoid = mul_sigmoid_neon,
    .rope_apply = rope_apply_neon,
    .gated_delta_step_head = gated_delta_step_head_neon,
    .gated_delta_chunked_head = gated_delta_chunked_head_neon,
    .attention_decode_head_f32 = attention_decode_head_neon<float>,
    .attention_decode_head_f16 = attention_decode_head_neon<Half>,
    .attention_prefill_head_f32 = attention_prefill_head_neon<float>,
    .attention_prefill_head_f16 = attention_prefill_head_neon<Half>,
    .attention_decode_head_i8 = attention_decode_head_i8_neon,
    .attention_prefill_head_i8 = attention_prefill_head_i8_neon,
};

constexpr KernelTable kNeonDotprodTable{
    .attention_decode_head_i8 = attention_decode_head_i8_dotprod,
};

}  // namespace

const KernelTable* neon_kernel_table() { return &kNeonTable; }
const KernelTable* neon_dotprod_kernel_table() { return &kNeonDotprodTable; }

}  // namespace linnet::kernels
