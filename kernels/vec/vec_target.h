// Compiler support for the portable vector kernels (kernels/vec/). They are plain C++ written
// so the compiler vectorizes them (contiguous inner loops, independent accumulators); on
// x86-64 each hot function is also compiled for x86-64-v3 (AVX2, FMA, F16C) and picked at
// load by the dynamic loader (GCC target_clones + ifunc), since the host build targets the
// x86-64 baseline. On aarch64 these are the fallback behind the NEON kernels (kernels/neon/).
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define LINNET_VEC_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define LINNET_VEC_CLONES
#endif

namespace linnet::kernels {

// IEEE half stored as its bits (the f16 KV cache); converted with the compiler's _Float16.
using Half = std::uint16_t;

inline float half_to_float(Half h) {
  _Float16 f;
  std::memcpy(&f, &h, sizeof f);
  return static_cast<float>(f);
}

inline Half float_to_half(float v) {
  const _Float16 f = static_cast<_Float16>(v);  // round to nearest even
  Half h;
  std::memcpy(&h, &f, sizeof h);
  return h;
}

template <typename T>
inline float load_as_float(const T* p) {
  if constexpr (sizeof(T) == 2) {
    return half_to_float(*p);
  } else {
    return *p;
  }
}

}  // namespace linnet::kernels
