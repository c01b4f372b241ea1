// The executor's single allocation and the bump allocator that carves it.
//
// Arena layout (regions in this order, each 64-byte aligned; runtime/model/memory_plan.h
// lists them with their sizes):
//
//   +-----------------------------+ 0
//   | kv_cache                    |  per full-attention layer: K and V, each [Hkv, ctx, hd]
//   +-----------------------------+
//   | conv_state                  |  per DeltaNet layer: [K-1, C] pre-conv inputs
//   +-----------------------------+
//   | recurrent_state             |  per DeltaNet layer: [Hv, dk, dv]
//   +-----------------------------+
//   | activations                 |  micro-batch buffers: residual [B, D], normed [B, D],
//   |                             |  projections / MLP [B, ...], last hidden [D]
//   +-----------------------------+
//   | scratch                     |  per thread: DeltaNet chunk scratch, attention scores,
//   |                             |  rope tables
//   +-----------------------------+
//   | session                     |  the session's logits [V] and token history [ctx]
//   +-----------------------------+ total_bytes
//
// Persistent state (the first three regions) is what save_state/load_state move.
#pragma once

#include <cstddef>
#include <memory>

#include "runtime/core/result.h"

namespace linnet {

inline constexpr std::size_t kArenaAlignment = 64;

// One zero-initialised, kArenaAlignment-aligned heap block, owned, freed on destruction.
class Arena {
 public:
  static Result<Arena> create(std::size_t bytes);

  std::byte* data() const { return data_.get(); }
  std::size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(std::byte* p) const;
  };
  Arena(std::byte* data, std::size_t size) : data_(data), size_(size) {}

  std::unique_ptr<std::byte, Free> data_;
  std::size_t size_ = 0;
};

// Hands out consecutive aligned pieces of a buffer it does not own. With a null base it
// only counts (the memory planner's dry run) and take() returns nullptr.
class BumpAllocator {
 public:
  BumpAllocator(std::byte* base, std::size_t capacity) : base_(base), capacity_(capacity) {}

  // `count` objects of T at the next aligned offset. Returns nullptr when counting or when
  // the capacity would be exceeded (overflowed() then reports it).
  template <typename T>
  T* take(std::size_t count) {
    return static_cast<T*>(take_bytes(count * sizeof(T)));
  }
  void* take_bytes(std::size_t bytes);

  // Moves the offset to the next alignment boundary (region starts).
  void align();
  std::size_t used() const { return used_; }
  // Moves the offset back to an earlier used() value, so that buffers that are never live
  // at the same time can share bytes (e.g. the DeltaNet, attention and MLP buffers).
  void rewind(std::size_t offset) { used_ = offset < used_ ? offset : used_; }
  // Moves the offset forward to `offset` (the end of the largest of several overlays).
  void advance_to(std::size_t offset) { used_ = offset > used_ ? offset : used_; }
  bool overflowed() const { return overflowed_; }

 private:
  std::byte* base_;
  std::size_t capacity_;
  std::size_t used_ = 0;
  bool overflowed_ = false;
};

}  // namespace linnet
