#include "kernels/platform/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "kernels/platform/cpu_features.h"

namespace linnet::kernels {
namespace {

// A work item that throws is fatal, with the exception named on stderr, whether it runs
// inline (one thread) or on a pool thread (thread_pool.h says why).
TEST(ThreadPoolDeathTest, AWorkItemThatThrowsAbortsTheProcessWithItsMessage) {
  // "fast" (fork without exec): "threadsafe" re-executes the test binary, which fails under
  // qemu-user (the board test runs). The pool is made inside the forked child, so the
  // child has its worker threads (a fork keeps only the forking thread).
  GTEST_FLAG_SET(death_test_style, "fast");
  for (int threads : {1, 3}) {
    EXPECT_DEATH(
        {
          auto pool = ThreadPool::create(threads);
          if (pool.ok()) {
            (void)pool->parallel_for(64, [](std::size_t i) {
              if (i == 40) throw std::runtime_error("item 40 failed");
            });
          }
        },
        "linnet: fatal: thread pool work item: item 40 failed")
        << threads;
    EXPECT_DEATH(
        {
          auto pool = ThreadPool::create(threads);
          if (pool.ok()) {
            (void)pool->parallel_for_with_thread(64, [](std::size_t, std::size_t i) {
              if (i == 7) throw std::runtime_error("item 7 failed");
            });
          }
        },
        "thread pool work item: item 7 failed")
        << threads;
  }
}

TEST(ThreadPool, RejectsBadThreadCounts) {
  EXPECT_FALSE(ThreadPool::create(0).ok());
  EXPECT_FALSE(ThreadPool::create(-3).ok());
}

TEST(ThreadPool, EveryItemRunsExactlyOnce) {
  for (int threads : {1, 2, 3}) {
    auto pool = ThreadPool::create(threads);
    ASSERT_TRUE(pool.ok());
    EXPECT_EQ(pool->threads(), threads);
    EXPECT_EQ(pool->handle() == nullptr, threads == 1);
    std::vector<std::atomic<int>> hits(1001);
    pool->parallel_for(hits.size(), [&](std::size_t i) { hits[i].fetch_add(1); });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

TEST(ThreadPool, ThreadIndicesAreInRangeAndItemsRunOnce) {
  for (int threads : {1, 3}) {
    auto pool = ThreadPool::create(threads);
    ASSERT_TRUE(pool.ok());
    std::vector<std::atomic<int>> hits(257);
    std::atomic<bool> bad_thread{false};
    pool->parallel_for_with_thread(hits.size(), [&](std::size_t thread, std::size_t i) {
      if (thread >= static_cast<std::size_t>(threads)) bad_thread = true;
      hits[i].fetch_add(1);
    });
    EXPECT_FALSE(bad_thread.load());
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

TEST(ThreadPool, RangesCoverEverythingOnce) {
  auto pool = ThreadPool::create(2);
  ASSERT_TRUE(pool.ok());
  for (std::size_t n : {1u, 7u, 64u, 1000u}) {
    std::vector<std::atomic<int>> hits(n);
    pool->parallel_for_ranges(n, 3, [&](std::size_t b, std::size_t e) {
      EXPECT_LT(b, e);
      for (std::size_t i = b; i < e; ++i) hits[i].fetch_add(1);
    });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

TEST(CpuFeatures, DetectsSomething) {
  auto f = detect_cpu_features();
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_GE(f->cores, 1);
#if defined(__aarch64__)
  EXPECT_TRUE(f->neon);
#endif
  EXPECT_FALSE(f->summary().empty());
}

}  // namespace
}  // namespace linnet::kernels
