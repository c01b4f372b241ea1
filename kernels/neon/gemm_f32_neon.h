// Small dense matrix products in float32 with NEON intrinsics (aarch64): the same contract as
// kernels/vec/gemm_f32_vec.h (gemm_nn with strided A, gemm_nt in dot form, B float or IEEE
// half or int8 values). Used by the NEON chunked gated delta rule and blocked attention.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/vec/vec_target.h"

namespace linnet::kernels {

void gemm_nn_f32_neon(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs,
                      const float* b, std::size_t ldb, float* c, std::size_t ldc, bool accumulate);
void gemm_nn_f32_f16b_neon(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs,
                           const Half* b, std::size_t ldb, float* c, std::size_t ldc, bool accumulate);
void gemm_nn_f32_i8b_neon(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs,
                          const std::int8_t* b, std::size_t ldb, float* c, std::size_t ldc, bool accumulate);
void gemm_nt_f32_neon(int M, int N, int K, float alpha, const float* a, std::size_t lda, const float* b,
                      std::size_t ldb, float* c, std::size_t ldc, bool accumulate);
void gemm_nt_f32_f16b_neon(int M, int N, int K, float alpha, const float* a, std::size_t lda, const Half* b,
                           std::size_t ldb, float* c, std::size_t ldc, bool accumulate);
void gemm_nt_f32_i8b_neon(int M, int N, int K, float alpha, const float* a, std::size_t lda, const std::int8_t* b,
                          std::size_t ldb, float* c, std::size_t ldc, bool accumulate);

}  // namespace linnet::kernels
