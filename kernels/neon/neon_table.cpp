// The NEON kernel tables (aarch64): NEON intrinsics for every family but the DeltaNet gates
// (16 scalars a token, log1p has no vector form here), which stay on the reference. A CPU
// with the dot-product extension (cpuinfo's dotprod: Pi 5, Jetson Orin; not the Pi 4) gets
// the table that decodes over the int8 KV cache with SDOT.
#include "kernels/dispatch/kernel_table.h"
#include "kernels/neon/attention_neon.h"
#include "kernels/neon/elementwise_neon.h"
#include "kernels/neon/gated_delta_neon.h"
#include "kernels/neon/rmsnorm_neon.h"
#include "kernels/reference/gated_delta_ref.h"

namespace linnet::kernels {

namespace {

constexpr KernelTable neon_table(const char* name, decltype(KernelTable::attention_decode_head_i8) decode_i8) {
  return KernelTable{
      name,
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
      decode_i8,
      attention_prefill_head_i8_neon,
  };
}

constexpr KernelTable kNeonTable = neon_table("neon", attention_decode_head_i8_neon);
constexpr KernelTable kNeonDotprodTable = neon_table("neon+dotprod", attention_decode_head_i8_dotprod);

}  // namespace

const KernelTable* neon_kernel_table() { return &kNeonTable; }
const KernelTable* neon_dotprod_kernel_table() { return &kNeonDotprodTable; }

}  // namespace linnet::kernels
