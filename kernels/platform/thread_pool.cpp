#include "kernels/platform/thread_pool.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "runtime/core/boundary.h"

namespace linnet::kernels {

void work_item_threw() noexcept {
  const Error error = current_exception_error("thread pool work item");
  std::fprintf(stderr, "linnet: fatal: %s\n", error.message().c_str());
  std::abort();
}

Result<ThreadPool> ThreadPool::create(int threads) {
  if (threads < 1 || threads > kMaxThreads) {
    return Error(ErrorCode::kInvalidArgument, "thread pool: threads must be in [1, " + std::to_string(kMaxThreads) +
                                                  "], got " + std::to_string(threads));
  }
  if (threads == 1) return ThreadPool(nullptr, 1);
  pthreadpool_t pool = pthreadpool_create(static_cast<std::size_t>(threads));
  if (pool == nullptr) {
    return Error(ErrorCode::kOutOfMemory,
                 "thread pool: pthreadpool_create(" + std::to_string(threads) + ") failed");
  }
  return ThreadPool(pool, threads);
}

}  // namespace linnet::kernels
