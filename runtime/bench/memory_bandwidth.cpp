#include "runtime/bench/memory_bandwidth.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace linnet::bench {

namespace {

// Sums 64-bit words with eight independent accumulators so the loads, not the adds, limit
// the loop (the compiler turns it into wide vector loads).
std::uint64_t sum_words(const std::uint64_t* p, std::size_t n) {
  std::uint64_t a[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) a[j] += p[i + static_cast<std::size_t>(j)];
  for (; i < n; ++i) a[0] += p[i];
  std::uint64_t s = 0;
  for (std::uint64_t v : a) s += v;
  return s;
}

}  // namespace

Result<BandwidthResult> measure_read_bandwidth(const kernels::ThreadPool& pool, const BandwidthOptions& options) {
  const std::size_t words = options.buffer_bytes / sizeof(std::uint64_t);
  if (words < 1024 || options.passes < 1) {
    return Error(ErrorCode::kInvalidArgument, "bandwidth: buffer too small or no passes");
  }
  const std::size_t bytes = words * sizeof(std::uint64_t);
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return Error(ErrorCode::kOutOfMemory, "bandwidth: cannot map " + std::to_string(bytes >> 20) + " MiB");
  }
  auto* data = static_cast<std::uint64_t*>(p);
  // Real pages with distinct contents (a never-written page would read the shared zero page).
  const std::size_t threads = static_cast<std::size_t>(pool.threads());
  const std::size_t slice = (words + threads - 1) / threads;
  pool.parallel_for(threads, [&](std::size_t t) {
    const std::size_t b = t * slice, e = std::min(words, b + slice);
    for (std::size_t i = b; i < e; ++i) data[i] = i * 0x9E3779B97F4A7C15ull;
  });

  std::atomic<std::uint64_t> sink{0};
  std::vector<double> rates;
  const auto begin = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count(); };
  for (int pass = 0; pass < 100 && (pass < options.passes || elapsed() < options.min_seconds); ++pass) {
    const auto start = std::chrono::steady_clock::now();
    pool.parallel_for(threads, [&](std::size_t t) {
      const std::size_t b = t * slice, e = std::min(words, b + slice);
      if (b < e) sink.fetch_add(sum_words(data + b, e - b), std::memory_order_relaxed);
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.push_back(static_cast<double>(bytes) / s);
  }
  ::munmap(p, bytes);
  std::sort(rates.begin(), rates.end());
  BandwidthResult r;
  r.bytes_per_second = rates.back();
  r.median_bytes_per_second = rates[rates.size() / 2];
  r.buffer_bytes = bytes;
  r.threads = pool.threads();
  r.passes = static_cast<int>(rates.size());
  if (sink.load() == 42) r.threads = -r.threads;  // keeps the sums alive; never true in practice
  return r;
}

}  // namespace linnet::bench
