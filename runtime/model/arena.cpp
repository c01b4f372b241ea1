#include "runtime/model/arena.h"

#include <cstdlib>
#include <cstring>
#include <string>

namespace linnet {

void Arena::Free::operator()(std::byte* p) const { std::free(p); }

Result<Arena> Arena::create(std::size_t bytes) {
  // aligned_alloc needs a size that is a multiple of the alignment.
  const std::size_t rounded = (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  const std::size_t size = rounded == 0 ? kArenaAlignment : rounded;
  void* p = std::aligned_alloc(kArenaAlignment, size);
  if (p == nullptr)
    return Error(ErrorCode::kOutOfMemory, "arena: cannot allocate " + std::to_string(size) + " bytes");
  std::memset(p, 0, size);
  return Arena(static_cast<std::byte*>(p), size);
}

void BumpAllocator::align() {
  used_ = (used_ + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

void* BumpAllocator::take_bytes(std::size_t bytes) {
  align();
  const std::size_t offset = used_;
  used_ += bytes;
  if (base_ == nullptr) return nullptr;
  if (used_ > capacity_) {
    overflowed_ = true;
    return nullptr;
  }
  return base_ + offset;
}

}  // namespace linnet
