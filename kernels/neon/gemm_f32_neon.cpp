#include "kernels/neon/gemm_f32_neon.h"

#include <arm_neon.h>

#include <cstring>

namespace linnet::kernels {
namespace {

inline float32x4_t load4(const float* p) { return vld1q_f32(p); }
inline float32x4_t load4(const Half* p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
// Four int8 (one 32-bit load), sign-extended twice and converted: exact.
inline float32x4_t load4(const std::int8_t* p) {
  std::int32_t word;
  std::memcpy(&word, p, sizeof word);
  const int8x8_t bytes = vreinterpret_s8_s32(vdup_n_s32(word));
  return vcvtq_f32_s32(vmovl_s16(vget_low_s16(vmovl_s8(bytes))));
}

// Sixteen consecutive B values as four float vectors (int8: one 16-byte load).
template <typename B>
inline void load16(const B* p, float32x4_t out[4]) {
  out[0] = load4(p);
  out[1] = load4(p + 4);
  out[2] = load4(p + 8);
  out[3] = load4(p + 12);
}
inline void load16(const std::int8_t* p, float32x4_t out[4]) {
  const int8x16_t bytes = vld1q_s8(p);
  const int16x8_t lo = vmovl_s8(vget_low_s8(bytes)), hi = vmovl_high_s8(bytes);
  out[0] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo)));
  out[1] = vcvtq_f32_s32(vmovl_high_s16(lo));
  out[2] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi)));
  out[3] = vcvtq_f32_s32(vmovl_high_s16(hi));
}

// ---- gemm_nn: MR rows x 16 columns of C in 4 q-registers a row ---------------------------

template <std::size_t MR, typename B>
inline __attribute__((always_inline)) void tile_nn(int K, float alpha, const float* a, std::size_t a_rs,
                                                   std::size_t a_cs, const B* b, std::size_t ldb, float* c,
                                                   std::size_t ldc, bool accumulate) {
  float32x4_t acc[MR][4];
  for (std::size_t m = 0; m < MR; ++m)
    for (int j = 0; j < 4; ++j) acc[m][j] = vdupq_n_f32(0.0f);
  for (int k = 0; k < K; ++k) {
    float32x4_t bv[4];
    load16(b + static_cast<std::size_t>(k) * ldb, bv);
    const float* ak = a + static_cast<std::size_t>(k) * a_cs;
    for (std::size_t m = 0; m < MR; ++m) {
      const float av = ak[m * a_rs];
      acc[m][0] = vfmaq_n_f32(acc[m][0], bv[0], av);
      acc[m][1] = vfmaq_n_f32(acc[m][1], bv[1], av);
      acc[m][2] = vfmaq_n_f32(acc[m][2], bv[2], av);
      acc[m][3] = vfmaq_n_f32(acc[m][3], bv[3], av);
    }
  }
  for (std::size_t m = 0; m < MR; ++m) {
    float* cm = c + m * ldc;
    for (int j = 0; j < 4; ++j) {
      const float32x4_t v = vmulq_n_f32(acc[m][j], alpha);
      vst1q_f32(cm + 4 * j, accumulate ? vaddq_f32(vld1q_f32(cm + 4 * j), v) : v);
    }
  }
}

// Up to 15 trailing columns: 4 at a time, then singles.
template <typename B>
inline __attribute__((always_inline)) void edge_nn(int M, int cols, int K, float alpha, const float* a,
                                                   std::size_t a_rs, std::size_t a_cs, const B* b, std::size_t ldb,
                                                   float* c, std::size_t ldc, bool accumulate) {
  for (int m = 0; m < M; ++m) {
    const float* am = a + static_cast<std::size_t>(m) * a_rs;
    float* cm = c + static_cast<std::size_t>(m) * ldc;
    int n = 0;
    for (; n + 4 <= cols; n += 4) {
      float32x4_t acc = vdupq_n_f32(0.0f);
      for (int k = 0; k < K; ++k)
        acc = vfmaq_n_f32(acc, load4(b + static_cast<std::size_t>(k) * ldb + n), am[static_cast<std::size_t>(k) * a_cs]);
      const float32x4_t v = vmulq_n_f32(acc, alpha);
      vst1q_f32(cm + n, accumulate ? vaddq_f32(vld1q_f32(cm + n), v) : v);
    }
    for (; n < cols; ++n) {
      float acc = 0.0f;
      for (int k = 0; k < K; ++k)
        acc += am[static_cast<std::size_t>(k) * a_cs] * load_as_float(b + static_cast<std::size_t>(k) * ldb + n);
      cm[n] = (accumulate ? cm[n] : 0.0f) + alpha * acc;
    }
  }
}

template <typename B>
void gemm_nn(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs, const B* b,
             std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  int n0 = 0;
  for (; n0 + 16 <= N; n0 += 16) {
    int m0 = 0;
    for (; m0 + 4 <= M; m0 += 4)
      tile_nn<4>(K, alpha, a + static_cast<std::size_t>(m0) * a_rs, a_rs, a_cs, b + n0, ldb,
                 c + static_cast<std::size_t>(m0) * ldc + static_cast<std::size_t>(n0), ldc, accumulate);
    for (; m0 < M; ++m0)
      tile_nn<1>(K, alpha, a + static_cast<std::size_t>(m0) * a_rs, a_rs, a_cs, b + n0, ldb,
                 c + static_cast<std::size_t>(m0) * ldc + static_cast<std::size_t>(n0), ldc, accumulate);
  }
  if (n0 < N) edge_nn(M, N - n0, K, alpha, a, a_rs, a_cs, b + n0, ldb, c + n0, ldc, accumulate);
}

// ---- gemm_nt: MR x NR dot products with 4-lane partial sums along K ----------------------

template <std::size_t MR, std::size_t NR, typename B>
inline __attribute__((always_inline)) void tile_nt(int K, float alpha, const float* a, std::size_t lda, const B* b,
                                                   std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  float32x4_t acc[MR][NR];
  for (std::size_t m = 0; m < MR; ++m)
    for (std::size_t n = 0; n < NR; ++n) acc[m][n] = vdupq_n_f32(0.0f);
  int k = 0;
  for (; k + 4 <= K; k += 4) {
    float32x4_t bv[NR];
    for (std::size_t n = 0; n < NR; ++n) bv[n] = load4(b + n * ldb + static_cast<std::size_t>(k));
    for (std::size_t m = 0; m < MR; ++m) {
      const float32x4_t av = vld1q_f32(a + m * lda + static_cast<std::size_t>(k));
      for (std::size_t n = 0; n < NR; ++n) acc[m][n] = vfmaq_f32(acc[m][n], av, bv[n]);
    }
  }
  for (std::size_t m = 0; m < MR; ++m) {
    for (std::size_t n = 0; n < NR; ++n) {
      float sum = vaddvq_f32(acc[m][n]);
      for (int kk = k; kk < K; ++kk)
        sum += a[m * lda + static_cast<std::size_t>(kk)] *
               load_as_float(b + n * ldb + static_cast<std::size_t>(kk));
      float& out = c[m * ldc + static_cast<std::size_t>(n)];
      out = (accumulate ? out : 0.0f) + alpha * sum;
    }
  }
}

template <typename B>
void gemm_nt(int M, int N, int K, float alpha, const float* a, std::size_t lda, const B* b, std::size_t ldb, float* c,
             std::size_t ldc, bool accumulate) {
  int m0 = 0;
  for (; m0 + 4 <= M; m0 += 4) {
    const float* am = a + static_cast<std::size_t>(m0) * lda;
    float* cm = c + static_cast<std::size_t>(m0) * ldc;
    int n0 = 0;
    for (; n0 + 4 <= N; n0 += 4)
      tile_nt<4, 4>(K, alpha, am, lda, b + static_cast<std::size_t>(n0) * ldb, ldb, cm + n0, ldc, accumulate);
    for (; n0 < N; ++n0)
      tile_nt<4, 1>(K, alpha, am, lda, b + static_cast<std::size_t>(n0) * ldb, ldb, cm + n0, ldc, accumulate);
  }
  for (; m0 < M; ++m0) {
    const float* am = a + static_cast<std::size_t>(m0) * lda;
    float* cm = c + static_cast<std::size_t>(m0) * ldc;
    int n0 = 0;
    for (; n0 + 4 <= N; n0 += 4)
      tile_nt<1, 4>(K, alpha, am, lda, b + static_cast<std::size_t>(n0) * ldb, ldb, cm + n0, ldc, accumulate);
    for (; n0 < N; ++n0)
      tile_nt<1, 1>(K, alpha, am, lda, b + static_cast<std::size_t>(n0) * ldb, ldb, cm + n0, ldc, accumulate);
  }
}

}  // namespace

void gemm_nn_f32_neon(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs,
                      const float* b, std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  gemm_nn(M, N, K, alpha, a, a_rs, a_cs, b, ldb, c, ldc, accumulate);
}
void gemm_nn_f32_f16b_neon(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs,
                           const Half* b, std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  gemm_nn(M, N, K, alpha, a, a_rs, a_cs, b, ldb, c, ldc, accumulate);
}
void gemm_nn_f32_i8b_neon(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs,
                          const std::int8_t* b, std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  gemm_nn(M, N, K, alpha, a, a_rs, a_cs, b, ldb, c, ldc, accumulate);
}
void gemm_nt_f32_neon(int M, int N, int K, float alpha, const float* a, std::size_t lda, const float* b,
                      std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  gemm_nt(M, N, K, alpha, a, lda, b, ldb, c, ldc, accumulate);
}
void gemm_nt_f32_f16b_neon(int M, int N, int K, float alpha, const float* a, std::size_t lda, const Half* b,
                           std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  gemm_nt(M, N, K, alpha, a, lda, b, ldb, c, ldc, accumulate);
}
void gemm_nt_f32_i8b_neon(int M, int N, int K, float alpha, const float* a, std::size_t lda, const std::int8_t* b,
                          std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  gemm_nt(M, N, K, alpha, a, lda, b, ldb, c, ldc, accumulate);
}

}  // namespace linnet::kernels
