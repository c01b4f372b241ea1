#include "tests/alloc_counter/alloc_counter.h"

#include <malloc.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>

#if defined(__SANITIZE_ADDRESS__)
#define LINNET_ALLOC_COUNTER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LINNET_ALLOC_COUNTER_ASAN 1
#endif
#endif

namespace {

// Constant-initialized: the C functions below can run before any constructor (the loader,
// iostreams, other libraries' static initializers allocate), and from every thread.
constinit std::atomic<int> g_armed_counters{0};
constinit std::atomic<long> g_allocations{0};

void note_allocation() {
  if (g_armed_counters.load(std::memory_order_relaxed) > 0) g_allocations.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

#if defined(LINNET_ALLOC_COUNTER_ASAN)

// ASan's malloc is the one the process must use (its shadow memory and checks depend on it):
// replacing malloc here would hand ASan blocks it never saw. Its allocator calls these hooks
// for every block it serves, whichever function asked (malloc family or operator new).
// Declared here: GCC ships no <sanitizer/allocator_interface.h>; libasan exports it.
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, std::size_t),
                                                          void (*free_hook)(const volatile void*));

namespace {

void on_asan_malloc(const volatile void*, std::size_t) { note_allocation(); }
void on_asan_free(const volatile void*) {}

// Installed once, before main: the first counter must not race the hook's installation.
const int g_hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_asan_malloc, on_asan_free);

}  // namespace

const char* linnet::testing::AllocationCounter::method() {
  return g_hooks_installed != 0 ? "AddressSanitizer allocator hooks" : "AddressSanitizer hooks not installed";
}

#else

// glibc's allocator under its exported names: what the replacements call once they have counted.
// free, and malloc_usable_size, stay glibc's: every block still comes from its allocator.
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* block, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void* __libc_valloc(std::size_t size);

// Replacing these in the executable replaces them for the whole process (glibc's own calls
// included), as glibc documents for a malloc replacement. noexcept: the C headers declare
// them so.
void* malloc(std::size_t size) noexcept {
  note_allocation();
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) noexcept {
  note_allocation();
  return __libc_calloc(count, size);
}
void* realloc(void* block, std::size_t size) noexcept {
  note_allocation();
  return __libc_realloc(block, size);
}
void* memalign(std::size_t alignment, std::size_t size) noexcept {
  note_allocation();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  note_allocation();
  // As glibc's: an alignment that is not a power of two is refused (memalign would round it).
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    errno = EINVAL;
    return nullptr;
  }
  return __libc_memalign(alignment, size);
}
void* valloc(std::size_t size) noexcept {
  note_allocation();
  return __libc_valloc(size);
}
int posix_memalign(void** block, std::size_t alignment, std::size_t size) noexcept {
  note_allocation();
  // POSIX: a power of two that is a multiple of sizeof(void*), else EINVAL.
  if (alignment == 0 || alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *block = p;
  return 0;
}
}  // extern "C"

const char* linnet::testing::AllocationCounter::method() { return "malloc replaced by the test binary"; }

#endif

namespace linnet::testing {

AllocationCounter::AllocationCounter() {
  start_ = g_allocations.load();
  g_armed_counters.fetch_add(1);
}

AllocationCounter::~AllocationCounter() { g_armed_counters.fetch_sub(1); }

long AllocationCounter::count() const { return g_allocations.load() - start_; }

}  // namespace linnet::testing
