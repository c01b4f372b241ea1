// The gated delta rule, portable vector version (kernels/vec/vec_target.h): the same
// contract as kernels/reference/gated_delta_ref.h, per value head.
#pragma once

#include <cstddef>

namespace linnet::kernels {

// One token of one head: as gated_delta_step_head_ref, reading and writing each state column
// once (16-column tiles stay in L1 between the two sweeps).
void gated_delta_step_head_vec(int dk, int dv, const float* q, const float* k, const float* v, float g,
                               float beta, float* state, float* o);

// T tokens of one head in chunks of 64, every product a small GEMM (gated_delta_chunk_impl.h).
// scratch: gated_delta_chunk_scratch_floats_vec(dk, dv) floats.
void gated_delta_chunked_head_vec(int dk, int dv, int T, const float* q, const float* k, const float* v,
                                  std::size_t qkv_stride, const float* g, const float* beta,
                                  std::size_t gate_stride, float* state, float* o, std::size_t o_stride,
                                  float* scratch);
std::size_t gated_delta_chunk_scratch_floats_vec(int dk, int dv);

}  // namespace linnet::kernels
