// Small dense matrix products in float32 for the GEMM-shaped parts of the chunked gated
// delta rule and of blocked attention (matrices of tens to hundreds of rows, in cache).
// Portable vectorizable C++ (see vec_target.h); kernels/neon/gemm_f32_neon.h has the same
// contract with NEON intrinsics.
//
//   gemm_nn: C[M, N] = alpha * A[M, K] B[K, N] (+ C when accumulate)
//            A element (m, k) at a[m * a_rs + k * a_cs] (any strides: a transposed A is
//            a_rs = 1, a_cs = lda); B row k at b + k * ldb, contiguous along N.
//   gemm_nt: C[M, N] = alpha * A[M, K] B[N, K]^T (+ C when accumulate)
//            rows of A and of B contiguous along K (dot products).
// B may be float, IEEE half (Half, the f16 KV cache) or int8 (the int8 KV cache's values,
// taken as integers: the caller applies the row scales). C row m at c + m * ldc. C must not
// alias A or B. All pointers are caller-owned and used only during the call; nothing is
// read beyond the given extents.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/vec/vec_target.h"

namespace linnet::kernels {

void gemm_nn_f32_vec(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs,
                     const float* b, std::size_t ldb, float* c, std::size_t ldc, bool accumulate);
void gemm_nn_f32_f16b_vec(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs,
                          const Half* b, std::size_t ldb, float* c, std::size_t ldc, bool accumulate);
void gemm_nn_f32_i8b_vec(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs,
                         const std::int8_t* b, std::size_t ldb, float* c, std::size_t ldc, bool accumulate);

void gemm_nt_f32_vec(int M, int N, int K, float alpha, const float* a, std::size_t lda, const float* b,
                     std::size_t ldb, float* c, std::size_t ldc, bool accumulate);
void gemm_nt_f32_f16b_vec(int M, int N, int K, float alpha, const float* a, std::size_t lda, const Half* b,
                          std::size_t ldb, float* c, std::size_t ldc, bool accumulate);
void gemm_nt_f32_i8b_vec(int M, int N, int K, float alpha, const float* a, std::size_t lda, const std::int8_t* b,
                         std::size_t ldb, float* c, std::size_t ldc, bool accumulate);

}  // namespace linnet::kernels
