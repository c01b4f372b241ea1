// The gated delta rule with NEON intrinsics (aarch64), per value head: the contracts of
// gated_delta_step_head_ref and gated_delta_chunked_head_ref (kernels/reference/
// gated_delta_ref.h). The decode step reads and writes each state column once per token
// (tiles of 16 columns kept in L1 between its two sweeps); the chunked form is kernels/vec/gated_delta_chunk_impl.h over the NEON
// GEMMs (kernels/neon/gemm_f32_neon.h).
#pragma once

#include <cstddef>

namespace linnet::kernels {

void gated_delta_step_head_neon(int dk, int dv, const float* q, const float* k, const float* v, float g, float beta,
                                float* state, float* o);

// scratch: gated_delta_chunk_scratch_floats_vec(dk, dv) floats (the same layout).
void gated_delta_chunked_head_neon(int dk, int dv, int T, const float* q, const float* k, const float* v,
                                   std::size_t qkv_stride, const float* g, const float* beta, std::size_t gate_stride,
                                   float* state, float* o, std::size_t o_stride, float* scratch);

}  // namespace linnet::kernels
