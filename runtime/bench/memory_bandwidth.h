// This machine's memory read bandwidth, measured the way LLM decode uses memory: every
// thread of the pool streams its own slice of a buffer far larger than the caches, and
// the best of a few passes counts. `linnet bench` measures it in the same run as the model
// so "fraction of bandwidth" compares like with like (same threads, same load on the box).
#pragma once

#include <cstddef>

#include "runtime/core/result.h"
#include "kernels/platform/thread_pool.h"

namespace linnet::bench {

struct BandwidthOptions {
  std::size_t buffer_bytes = std::size_t{256} << 20;  // >> last-level cache
  int passes = 5;                                     // at least this many; the best counts
  // Keep sweeping until this much time has passed (at most 100 passes): on a shared machine
  // a longer window finds the quiet moments a short one misses.
  double min_seconds = 2.0;
};

struct BandwidthResult {
  double bytes_per_second = 0;  // best pass
  double median_bytes_per_second = 0;
  std::size_t buffer_bytes = 0;
  int threads = 1;
  int passes = 0;
};

// Allocates the buffer (freed before returning), touches it once, then times parallel read
// sweeps over it with `pool` (borrowed for the call): `passes` or more, for at least
// `min_seconds`.
Result<BandwidthResult> measure_read_bandwidth(const kernels::ThreadPool& pool, const BandwidthOptions& options);

}  // namespace linnet::bench
