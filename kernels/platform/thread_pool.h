// The one thread pool of a Linnet process (pthreadpool), shared by XNNPACK's operators and
// Linnet's own kernels so the two never fight over cores. The executor owns it; kernels
// borrow it for the duration of a call.
//
// parallel_for(n, fn) runs fn(i) for every i in [0, n) on the pool's threads (the calling
// thread included) and returns when all are done. Work items must be independent; fn must
// not throw. With one thread everything runs inline on the caller.
//
// A work item that throws anyway is a bug, and fatal (whatever the thread count): the
// exception is written to stderr and the process aborts (work_item_threw). Not an error
// value, because continuing is unsafe: the item's output is half written while the other
// items ran on (pthreadpool cannot cancel), and on a pool thread the exception would
// unwind through pthreadpool's C frames, which is undefined behaviour.
#pragma once

#include <pthreadpool.h>

#include <cstddef>
#include <memory>

#include "runtime/core/result.h"

namespace linnet::kernels {

inline constexpr int kMaxThreads = 256;

// Writes "linnet: fatal: thread pool work item: <what>" to stderr and aborts. Call only
// inside a catch block.
[[noreturn]] void work_item_threw() noexcept;

class ThreadPool {
 public:
  // threads in [1, kMaxThreads] (the caller counts as one of them).
  static Result<ThreadPool> create(int threads);

  ThreadPool(ThreadPool&&) noexcept = default;
  ThreadPool& operator=(ThreadPool&&) noexcept = default;

  int threads() const { return threads_; }
  // The pthreadpool handle for XNNPACK (null when single-threaded: XNNPACK then runs inline).
  // Owned by this object, valid while it lives.
  pthreadpool_t handle() const { return pool_.get(); }

  // fn(i) for i in [0, n). fn: callable as fn(std::size_t); borrowed for the call.
  template <typename Fn>
  void parallel_for(std::size_t n, Fn&& fn) const {
    if (n == 0) return;
    if (pool_ == nullptr || n == 1) {
      try {
        for (std::size_t i = 0; i < n; ++i) fn(i);
      } catch (...) {
        work_item_threw();
      }
      return;
    }
    using F = std::remove_reference_t<Fn>;
    pthreadpool_parallelize_1d(
        pool_.get(),
        [](void* ctx, std::size_t i) noexcept {
          try {
            (*static_cast<F*>(ctx))(i);
          } catch (...) {
            work_item_threw();
          }
        },
        const_cast<void*>(static_cast<const void*>(&fn)), n, kFlags);
  }

  // fn(thread, i) for i in [0, n), thread in [0, threads()) naming the pool thread that runs
  // the item (per-thread scratch). Same contract as parallel_for.
  template <typename Fn>
  void parallel_for_with_thread(std::size_t n, Fn&& fn) const {
    if (n == 0) return;
    if (pool_ == nullptr || n == 1) {
      try {
        for (std::size_t i = 0; i < n; ++i) fn(std::size_t{0}, i);
      } catch (...) {
        work_item_threw();
      }
      return;
    }
    using F = std::remove_reference_t<Fn>;
    pthreadpool_parallelize_1d_with_thread(
        pool_.get(),
        [](void* ctx, std::size_t thread, std::size_t i) noexcept {
          try {
            (*static_cast<F*>(ctx))(thread, i);
          } catch (...) {
            work_item_threw();
          }
        },
        const_cast<void*>(static_cast<const void*>(&fn)), n, kFlags);
  }

  // fn(begin, end) over [0, n) cut into about threads() * 4 tiles of at least `min_tile`
  // items each (coarse work for cheap per-item bodies).
  template <typename Fn>
  void parallel_for_ranges(std::size_t n, std::size_t min_tile, Fn&& fn) const {
    if (n == 0) return;
    const std::size_t want = static_cast<std::size_t>(threads_) * 4;
    std::size_t tile = (n + want - 1) / want;
    if (tile < min_tile) tile = min_tile;
    const std::size_t tiles = (n + tile - 1) / tile;
    parallel_for(tiles, [&](std::size_t t) {
      const std::size_t begin = t * tile;
      const std::size_t end = begin + tile < n ? begin + tile : n;
      fn(begin, end);
    });
  }

 private:
  // Flush denormals to zero on the pool's threads while they run our work (denormals.h).
  static constexpr std::uint32_t kFlags = PTHREADPOOL_FLAG_DISABLE_DENORMALS;

  struct Destroy {
    void operator()(pthreadpool_t pool) const { pthreadpool_destroy(pool); }
  };
  ThreadPool(pthreadpool_t pool, int threads) : pool_(pool), threads_(threads) {}

  std::unique_ptr<std::remove_pointer_t<pthreadpool_t>, Destroy> pool_;
  int threads_ = 1;
};

}  // namespace linnet::kernels
