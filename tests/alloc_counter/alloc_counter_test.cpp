// The counter sees each way code gets heap memory, from any thread, and only while it lives:
// the proof that the token-path tests' "0 allocations" can fail.
#include "tests/alloc_counter/alloc_counter.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <thread>

namespace linnet::testing {
namespace {

// Where each block goes, so the compiler cannot drop an allocation it sees unused.
void* volatile g_sink = nullptr;

TEST(AllocationCounter, CountsAPlainMalloc) {
  AllocationCounter counter;
  void* block = std::malloc(24);
  g_sink = block;
  const long counted = counter.count();
  std::free(block);
  EXPECT_EQ(counted, 1) << AllocationCounter::method();
}

TEST(AllocationCounter, CountsEveryAllocationFunction) {
  void* grown = std::malloc(16);
  g_sink = grown;
  AllocationCounter counter;
  long before = counter.count();
  const auto expect_one_more = [&](const char* what) {
    EXPECT_EQ(counter.count() - before, 1) << what << " (" << AllocationCounter::method() << ")";
    before = counter.count();
  };
  void* c = std::calloc(8, 8);
  g_sink = c;
  expect_one_more("calloc");
  grown = std::realloc(grown, 1 << 20);  // grown well past the block: a new one
  g_sink = grown;
  expect_one_more("realloc");
  void* a = std::aligned_alloc(64, 256);
  g_sink = a;
  expect_one_more("aligned_alloc");
  void* p = nullptr;
  ASSERT_EQ(posix_memalign(&p, 128, 256), 0);
  g_sink = p;
  expect_one_more("posix_memalign");
  void* m = memalign(32, 100);
  g_sink = m;
  expect_one_more("memalign");
  int* n = new int(7);
  g_sink = n;
  expect_one_more("operator new");
  struct alignas(256) Wide {
    char bytes[256];
  };
  Wide* w = new Wide;
  g_sink = w;
  expect_one_more("aligned operator new");
  delete w;
  delete n;
  for (void* block : {c, grown, a, p, m}) std::free(block);
  EXPECT_EQ(counter.count() - before, 0) << "free is not an allocation";
}

TEST(AllocationCounter, CountsOtherThreadsAndNests) {
  std::atomic<bool> go{false};
  std::thread worker([&] {
    while (!go.load()) std::this_thread::yield();
    g_sink = std::malloc(40);
  });
  AllocationCounter outer;
  go = true;
  worker.join();
  std::free(g_sink);
  EXPECT_GE(outer.count(), 1) << "a malloc on another thread";
  const long outer_before = outer.count();
  {
    AllocationCounter inner;
    EXPECT_EQ(inner.count(), 0);
    auto block = std::make_unique<char[]>(1000);
    g_sink = block.get();
    EXPECT_EQ(inner.count(), 1);
  }
  EXPECT_EQ(outer.count() - outer_before, 1);
}

}  // namespace
}  // namespace linnet::testing
