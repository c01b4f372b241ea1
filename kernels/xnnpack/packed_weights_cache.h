// XNNPACK packs every linear layer's weights into its own microkernel layout when the
// operator is created. Left alone, it would malloc a packed copy of every weight, so a
// process would hold the bundle's weights twice. This is an XNNPACK weights-cache provider
// (xnn_weights_cache_provider) that keeps the packed copies in a file beside the bundle:
//
//   first load:  "<bundle>.xnnpack" does not exist or its key does not match. XNNPACK packs
//                each operator straight into a growing shared mapping of a temporary file
//                (no anonymous copy); finalize() writes the index and header, syncs, and
//                renames the file into place.
//   later loads: the file is mapped read-only; XNNPACK finds every operator in it and never
//                reads the bundle's linear weights at all, so only the packed copy becomes
//                resident (file-backed pages the kernel may evict and re-read).
//   no file:     when the file cannot be written (read-only directory) the packed weights go
//                to anonymous memory, as XNNPACK would do by itself.
//
// The key of the file is the caller's text (bundle SHA-256, XNNPACK library, CPU features):
// any difference rebuilds it. Entries are found by XNNPACK's seed plus the weight's identity
// (its tensor name), which the caller binds just before creating each operator (bind_next);
// XNNPACK's own key is a raw pointer and would not survive a reload.
//
// File layout (little-endian, all offsets from the file start):
//   [0, 4096)        header: magic "LNNTXPWC", format version, key, entry count,
//                    data and index offsets
//   [4096, index)    packed weights, each entry 64-byte aligned
//   [index, end)     entries: {seed u32, name length u32, offset u64, size u64, name bytes}
//
// XNNPACK calls the provider only while operators are created (serially, from the loading
// thread) and offset_to_addr at every reshape/setup; a mutex guards the state anyway.
#pragma once

#include <xnnpack.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/core/result.h"

namespace linnet::kernels {

class PackedWeightsCache {
 public:
  enum class Mode : std::uint8_t {
    kMapped = 0,   // a complete cache file is mapped read-only
    kWriting = 1,  // packing into a new cache file (first load)
    kMemory = 2,   // packing into anonymous memory (no file)
  };

  struct Options {
    std::string path;  // the cache file; empty: kMemory
    std::string key;   // identity of bundle + library + CPU; must match to reuse the file
    // Upper bound of the packed bytes while writing (address space reserved up front, the
    // file grows as needed; packing beyond it falls back to memory for the rest).
    std::size_t reserve_bytes = std::size_t{1} << 32;
    // Progress messages ("packing weights into ..."); null: silent.
    std::function<void(std::string_view)> log;
  };

  // Maps a matching file, or starts a new one, or (no path / unwritable) uses memory.
  // Only a broken environment (no memory) is an error; a stale or corrupt file is rebuilt.
  static Result<std::unique_ptr<PackedWeightsCache>> open(Options options);

  ~PackedWeightsCache();
  PackedWeightsCache(const PackedWeightsCache&) = delete;
  PackedWeightsCache& operator=(const PackedWeightsCache&) = delete;

  // The provider to pass to xnn_create_*; valid while this object lives.
  xnn_weights_cache_t provider() { return &provider_; }

  // Names the weights of the next xnn_create_* call (its single look-up) so its entry can be
  // found again on a later load. `identity` is e.g. the tensor name. Operators created
  // without a binding are packed but not recorded in the file.
  void bind_next(std::string_view identity);

  // After the last operator is created: writes the file (kWriting) and marks the cache
  // final; XNNPACK refuses to reshape operators before that. Idempotent.
  Status finalize();
  bool finalized() const;

  Mode mode() const { return mode_; }
  const std::string& path() const { return options_.path; }
  std::size_t packed_bytes() const;      // bytes of packed weights held (file + memory)
  std::size_t hits() const;              // operators found in a mapped file
  std::size_t misses() const;            // operators packed during this load
  std::string describe() const;          // one line for logs and `linnet bench`

 private:
  struct State;
  explicit PackedWeightsCache(Options options);

  Options options_;
  Mode mode_ = Mode::kMemory;
  std::unique_ptr<State> state_;
  xnn_weights_cache_provider provider_{};
};

// The XNNPACK library's identity for cache keys: the file name of the loaded libXNNPACK
// shared object (e.g. "libXNNPACK.so.0.20241108"), or "static" when linked statically.
std::string xnnpack_library_identity();

}  // namespace linnet::kernels
