#include <gtest/gtest.h>

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

#include "runtime/bench/memory_bandwidth.h"
#include "runtime/core/process_memory.h"

namespace linnet::bench {
namespace {

TEST(ProcessMemory, PeakFollowsATouchedBuffer) {
  auto before = read_resident_memory();
  ASSERT_TRUE(before.ok()) << before.error().message();
  EXPECT_GT(before->current_bytes, 0u);
  EXPECT_GE(before->peak_bytes, before->current_bytes);
  {
    // Straight from the kernel, not the heap: a sanitizer's allocator keeps freed blocks
    // resident (ASan's quarantine), and the point is the process's pages.
    constexpr std::size_t kBytes = std::size_t{64} << 20;
    void* big = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(big, MAP_FAILED);
    std::memset(big, 1, kBytes);
    auto during = read_resident_memory();
    ::munmap(big, kBytes);
    ASSERT_TRUE(during.ok());
    EXPECT_GE(during->peak_bytes, before->current_bytes + (std::size_t{60} << 20));
  }
  if (reset_peak_resident_memory()) {
    auto after = read_resident_memory();
    ASSERT_TRUE(after.ok());
    EXPECT_LT(after->peak_bytes, before->current_bytes + (std::size_t{32} << 20));
  }
}

TEST(MemoryBandwidth, MeasuresSomethingPlausible) {
  auto pool = kernels::ThreadPool::create(2);
  ASSERT_TRUE(pool.ok());
  BandwidthOptions o;
  o.buffer_bytes = std::size_t{32} << 20;
  o.passes = 2;
  o.min_seconds = 0.0;
  auto r = measure_read_bandwidth(*pool, o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_GT(r->bytes_per_second, 1e8);   // any machine (even qemu) reads 100 MB/s
  EXPECT_LT(r->bytes_per_second, 1e13);  // and no machine 10 TB/s
  EXPECT_GE(r->bytes_per_second, r->median_bytes_per_second);
  EXPECT_EQ(r->passes, 2);
  o.buffer_bytes = 100;
  EXPECT_FALSE(measure_read_bandwidth(*pool, o).ok());
}

}  // namespace
}  // namespace linnet::bench
