// Counts the heap allocations a piece of code makes, on any thread: every malloc, calloc,
// realloc, aligned_alloc, posix_memalign, memalign and valloc, and so every operator new
// (libstdc++'s allocates through malloc and aligned_alloc). The tests of the token path use it
// to prove "allocates nothing" (runtime/model/executor_test, runtime/session/session_alloc_test)
// and to bound what a request allocates (runtime/serve/session_backend_alloc_test).
//
// How: a normal build replaces those C functions for the whole test binary with ones that
// count and then call glibc's own (__libc_malloc, ...); under AddressSanitizer, which owns
// malloc, the count comes from its allocator hooks (__sanitizer_install_malloc_and_free_hooks),
// which see every allocation ASan serves, operator new included. Linking this library into a
// test binary is all it takes (it is an object library, so the replacements are always linked).
#pragma once

namespace linnet::testing {

// Counts while it lives (counters may nest; each sees every allocation made in its lifetime).
class AllocationCounter {
 public:
  AllocationCounter();
  ~AllocationCounter();
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;

  // Allocations since construction.
  long count() const;

  // "malloc replaced by the test binary" or "AddressSanitizer allocator hooks", for messages.
  static const char* method();

 private:
  long start_;
};

}  // namespace linnet::testing
