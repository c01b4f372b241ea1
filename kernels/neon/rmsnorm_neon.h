// Both RMSNorm forms and the L2 normalisation with NEON intrinsics (aarch64); contracts of
// kernels/reference/rmsnorm_ref.h (sums in four lanes, so rounding differs slightly).
#pragma once

#include <cstddef>

namespace linnet::kernels {

void rmsnorm_neon(const float* x, const float* w, int rows, int n, std::size_t stride, float eps, float* y);
void rmsnorm_gated_neon(const float* x, const float* z, const float* w, int rows, int n, std::size_t stride, float eps,
                        float* y);
void l2norm_scale_neon(float* x, int rows, int n, std::size_t stride, float eps, float scale);

}  // namespace linnet::kernels
