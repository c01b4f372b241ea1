#include "kernels/vec/gemm_f32_vec.h"

#include <cstdint>

namespace linnet::kernels {
namespace {

// Eight floats as one GCC vector: two SSE registers on baseline x86-64, one AVX register in
// the x86-64-v3 clones, two NEON registers on aarch64. Unaligned, may alias anything.
typedef float V8 __attribute__((vector_size(32), aligned(4), may_alias));
typedef std::uint16_t U16x8 __attribute__((vector_size(16), aligned(2), may_alias));
typedef std::uint32_t U32x8 __attribute__((vector_size(32)));
typedef std::int8_t I8x8 __attribute__((vector_size(8), aligned(1), may_alias));
typedef std::int16_t I16x8 __attribute__((vector_size(16)));
typedef std::int32_t I32x8 __attribute__((vector_size(32)));

inline __attribute__((always_inline)) V8 load8(const float* p) { return *reinterpret_cast<const V8*>(p); }
inline __attribute__((always_inline)) V8 splat_magic() {
  const std::uint32_t bits = 113u << 23;  // 2^-14, the smallest normal half
  float f;
  __builtin_memcpy(&f, &bits, sizeof f);
  return V8{} + f;
}

// Eight halves to floats with integer vector operations (compilers scalarize _Float16
// vector conversions without AVX-512): exact for every input, subnormals, inf and NaN
// included. Move exponent+mantissa into place and rebias; inf/NaN get the full float
// exponent; subnormals are renormalised by one float subtraction.
inline __attribute__((always_inline)) V8 load8(const Half* p) {
  const U32x8 h = __builtin_convertvector(*reinterpret_cast<const U16x8*>(p), U32x8);
  const U32x8 magnitude = (h & 0x7fffu) << 13;
  const U32x8 exponent = magnitude & (0x7c00u << 13);
  U32x8 bits = magnitude + ((127u - 15u) << 23);
  bits += (exponent == (0x7c00u << 13)) & ((128u - 16u) << 23);  // inf / NaN
  const U32x8 is_subnormal = exponent == 0u;
  const U32x8 renormalised = bits + (1u << 23);
  V8 sub;
  __builtin_memcpy(&sub, &renormalised, sizeof sub);
  sub -= splat_magic();
  U32x8 sub_bits;
  __builtin_memcpy(&sub_bits, &sub, sizeof sub_bits);
  bits = (is_subnormal & sub_bits) | (~is_subnormal & bits);
  bits |= (h & 0x8000u) << 16;
  V8 out;
  __builtin_memcpy(&out, &bits, sizeof out);
  return out;
}
// Eight int8 to floats (sign-extend, convert: exact). Through int16 and int32: GCC 14
// converts int8 -> float vectors one element at a time (8 cvtsi2ss), but each widening step
// is vector code (pmovsx with AVX2, punpck on baseline x86-64).
inline __attribute__((always_inline)) V8 load8(const std::int8_t* p) {
  const I16x8 half_wide = __builtin_convertvector(*reinterpret_cast<const I8x8*>(p), I16x8);
  return __builtin_convertvector(__builtin_convertvector(half_wide, I32x8), V8);
}
inline __attribute__((always_inline)) void store8(float* p, V8 v) { *reinterpret_cast<V8*>(p) = v; }
inline __attribute__((always_inline)) V8 splat(float v) { return V8{} + v; }
inline __attribute__((always_inline)) float hsum(V8 v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

// ---- gemm_nn: register tile of MR rows x 16 columns (2 vectors a row) -------------------

template <std::size_t MR, typename B>
inline __attribute__((always_inline)) void tile_nn(int K, float alpha, const float* a, std::size_t a_rs,
                                                   std::size_t a_cs, const B* b, std::size_t ldb, float* c,
                                                   std::size_t ldc, bool accumulate) {
  V8 acc0[MR], acc1[MR];
  for (std::size_t m = 0; m < MR; ++m) acc0[m] = acc1[m] = V8{};
  for (int k = 0; k < K; ++k) {
    const B* bk = b + static_cast<std::size_t>(k) * ldb;
    const V8 b0 = load8(bk), b1 = load8(bk + 8);
    const float* ak = a + static_cast<std::size_t>(k) * a_cs;
    for (std::size_t m = 0; m < MR; ++m) {
      const V8 av = splat(ak[m * a_rs]);
      acc0[m] += av * b0;
      acc1[m] += av * b1;
    }
  }
  const V8 va = splat(alpha);
  for (std::size_t m = 0; m < MR; ++m) {
    float* cm = c + m * ldc;
    if (accumulate) {
      store8(cm, load8(cm) + va * acc0[m]);
      store8(cm + 8, load8(cm + 8) + va * acc1[m]);
    } else {
      store8(cm, va * acc0[m]);
      store8(cm + 8, va * acc1[m]);
    }
  }
}

// Columns past the last full 16: plain loops (at most 15 columns).
template <typename B>
inline __attribute__((always_inline)) void edge_nn(int M, int cols, int K, float alpha, const float* a,
                                                   std::size_t a_rs, std::size_t a_cs, const B* b, std::size_t ldb,
                                                   float* c, std::size_t ldc, bool accumulate) {
  for (int m = 0; m < M; ++m) {
    float acc[16] = {};
    const float* am = a + static_cast<std::size_t>(m) * a_rs;
    for (int k = 0; k < K; ++k) {
      const float av = am[static_cast<std::size_t>(k) * a_cs];
      const B* bk = b + static_cast<std::size_t>(k) * ldb;
      for (int n = 0; n < cols; ++n) acc[n] += av * load_as_float(bk + n);
    }
    float* cm = c + static_cast<std::size_t>(m) * ldc;
    for (int n = 0; n < cols; ++n) cm[n] = (accumulate ? cm[n] : 0.0f) + alpha * acc[n];
  }
}

template <typename B>
inline __attribute__((always_inline)) void gemm_nn(int M, int N, int K, float alpha, const float* a,
                                                   std::size_t a_rs, std::size_t a_cs, const B* b, std::size_t ldb,
                                                   float* c, std::size_t ldc, bool accumulate) {
  constexpr std::size_t kRows = 4;
  int n0 = 0;
  for (; n0 + 16 <= N; n0 += 16) {
    int m0 = 0;
    for (; m0 + static_cast<int>(kRows) <= M; m0 += static_cast<int>(kRows))
      tile_nn<kRows>(K, alpha, a + static_cast<std::size_t>(m0) * a_rs, a_rs, a_cs, b + n0, ldb,
                     c + static_cast<std::size_t>(m0) * ldc + static_cast<std::size_t>(n0), ldc, accumulate);
    for (; m0 < M; ++m0)
      tile_nn<1>(K, alpha, a + static_cast<std::size_t>(m0) * a_rs, a_rs, a_cs, b + n0, ldb,
                 c + static_cast<std::size_t>(m0) * ldc + static_cast<std::size_t>(n0), ldc, accumulate);
  }
  if (n0 < N) edge_nn(M, N - n0, K, alpha, a, a_rs, a_cs, b + n0, ldb, c + n0, ldc, accumulate);
}

// ---- gemm_nt: MR x NR dot products, 8 partial sums each along K --------------------------

template <std::size_t MR, std::size_t NR, typename B>
inline __attribute__((always_inline)) void tile_nt(int K, float alpha, const float* a, std::size_t lda, const B* b,
                                                   std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  V8 acc[MR][NR];
  for (std::size_t m = 0; m < MR; ++m)
    for (std::size_t n = 0; n < NR; ++n) acc[m][n] = V8{};
  int k = 0;
  for (; k + 8 <= K; k += 8) {
    V8 bv[NR];
    for (std::size_t n = 0; n < NR; ++n) bv[n] = load8(b + n * ldb + static_cast<std::size_t>(k));
    for (std::size_t m = 0; m < MR; ++m) {
      const V8 av = load8(a + m * lda + static_cast<std::size_t>(k));
      for (std::size_t n = 0; n < NR; ++n) acc[m][n] += av * bv[n];
    }
  }
  for (std::size_t m = 0; m < MR; ++m) {
    for (std::size_t n = 0; n < NR; ++n) {
      float sum = hsum(acc[m][n]);
      for (int kk = k; kk < K; ++kk)
        sum += a[m * lda + static_cast<std::size_t>(kk)] * load_as_float(b + n * ldb + static_cast<std::size_t>(kk));
      float& out = c[m * ldc + n];
      out = (accumulate ? out : 0.0f) + alpha * sum;
    }
  }
}

template <typename B>
inline __attribute__((always_inline)) void gemm_nt(int M, int N, int K, float alpha, const float* a, std::size_t lda,
                                                   const B* b, std::size_t ldb, float* c, std::size_t ldc,
                                                   bool accumulate) {
  // f16 and int8 B cost a conversion per load: more A rows per tile reuse each converted
  // B vector.
  constexpr std::size_t kRows = sizeof(B) < 4 ? 4 : 2, kCols = sizeof(B) < 4 ? 2 : 4;
  int m0 = 0;
  for (; m0 + static_cast<int>(kRows) <= M; m0 += static_cast<int>(kRows)) {
    const float* am = a + static_cast<std::size_t>(m0) * lda;
    float* cm = c + static_cast<std::size_t>(m0) * ldc;
    int n0 = 0;
    for (; n0 + static_cast<int>(kCols) <= N; n0 += static_cast<int>(kCols))
      tile_nt<kRows, kCols>(K, alpha, am, lda, b + static_cast<std::size_t>(n0) * ldb, ldb, cm + n0, ldc, accumulate);
    for (; n0 < N; ++n0)
      tile_nt<kRows, 1>(K, alpha, am, lda, b + static_cast<std::size_t>(n0) * ldb, ldb, cm + n0, ldc, accumulate);
  }
  for (; m0 < M; ++m0) {
    const float* am = a + static_cast<std::size_t>(m0) * lda;
    float* cm = c + static_cast<std::size_t>(m0) * ldc;
    int n0 = 0;
    for (; n0 + static_cast<int>(kCols) <= N; n0 += static_cast<int>(kCols))
      tile_nt<1, kCols>(K, alpha, am, lda, b + static_cast<std::size_t>(n0) * ldb, ldb, cm + n0, ldc, accumulate);
    for (; n0 < N; ++n0)
      tile_nt<1, 1>(K, alpha, am, lda, b + static_cast<std::size_t>(n0) * ldb, ldb, cm + n0, ldc, accumulate);
  }
}

}  // namespace

LINNET_VEC_CLONES
void gemm_nn_f32_vec(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs,
                     const float* b, std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  gemm_nn(M, N, K, alpha, a, a_rs, a_cs, b, ldb, c, ldc, accumulate);
}

LINNET_VEC_CLONES
void gemm_nn_f32_f16b_vec(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs,
                          const Half* b, std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  gemm_nn(M, N, K, alpha, a, a_rs, a_cs, b, ldb, c, ldc, accumulate);
}

LINNET_VEC_CLONES
void gemm_nn_f32_i8b_vec(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs,
                         const std::int8_t* b, std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  gemm_nn(M, N, K, alpha, a, a_rs, a_cs, b, ldb, c, ldc, accumulate);
}

LINNET_VEC_CLONES
void gemm_nt_f32_vec(int M, int N, int K, float alpha, const float* a, std::size_t lda, const float* b,
                     std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  gemm_nt(M, N, K, alpha, a, lda, b, ldb, c, ldc, accumulate);
}

LINNET_VEC_CLONES
void gemm_nt_f32_f16b_vec(int M, int N, int K, float alpha, const float* a, std::size_t lda, const Half* b,
                          std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  gemm_nt(M, N, K, alpha, a, lda, b, ldb, c, ldc, accumulate);
}

LINNET_VEC_CLONES
void gemm_nt_f32_i8b_vec(int M, int N, int K, float alpha, const float* a, std::size_t lda, const std::int8_t* b,
                         std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
  gemm_nt(M, N, K, alpha, a, lda, b, ldb, c, ldc, accumulate);
}

}  // namespace linnet::kernels
