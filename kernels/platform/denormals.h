// Flush-to-zero for the calling thread, for the duration of a scope. The DeltaNet state
// decays by exp(g) < 1 every token, so in long runs some of its entries fall below
// FLT_MIN; x86 cores take a microcode assist on every denormal operand (measured: the
// chunked DeltaNet prefill's f32 GEMM 3x slower on a Sapphire Rapids, 38 % of a 512-token
// prefill), and values that small change no logit. Pool threads get the same through
// pthreadpool's PTHREADPOOL_FLAG_DISABLE_DENORMALS (thread_pool.h).
#pragma once

#include <cstdint>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

namespace linnet::kernels {

class FlushDenormals {
 public:
  FlushDenormals() {
#if defined(__x86_64__)
    saved_ = _mm_getcsr();
    _mm_setcsr(static_cast<unsigned>(saved_) | kFlushToZero | kDenormalsAreZero);
#elif defined(__aarch64__)
    std::uint64_t fpcr;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
    saved_ = fpcr;
    fpcr |= kFpcrFlushToZero;
    __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr));
#endif
  }
  ~FlushDenormals() {
#if defined(__x86_64__)
    _mm_setcsr(static_cast<unsigned>(saved_));
#elif defined(__aarch64__)
    const std::uint64_t fpcr = saved_;
    __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr));
#endif
  }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  static constexpr unsigned kFlushToZero = 0x8000;      // MXCSR.FTZ: denormal results become 0
  static constexpr unsigned kDenormalsAreZero = 0x0040;  // MXCSR.DAZ: denormal inputs read as 0
  static constexpr std::uint64_t kFpcrFlushToZero = std::uint64_t{1} << 24;  // FPCR.FZ
  std::uint64_t saved_ = 0;
};

}  // namespace linnet::kernels
