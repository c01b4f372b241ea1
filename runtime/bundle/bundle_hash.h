// The bundle's content hash convention (docs/bundle-format.md):
//
//   content_sha256 = SHA-256(file bytes, with three ranges read as zero:
//                            the 32 bytes of Bundle.content_sha256,
//                            the 72 bytes of Bundle.signature,
//                            the 4 bytes of Bundle.signature_size)
//
// so the hash can be written into the file after it is computed, and a signature over
// the hash can be added later (by `linnet-convert sign`) without changing the hash.
// The writer emits all three fields (zero) before hashing, so their positions are fixed.
#pragma once

#include <cstdint>
#include <span>

#include "runtime/core/result.h"
#include "runtime/core/sha256.h"

namespace linnet {
namespace fb {
struct Bundle;
}

struct ByteRange {
  std::uint64_t offset = 0;  // from the start of the file
  std::uint64_t length = 0;
};

// Positions of the hash-exempt fields inside a bundle's FlatBuffer.
struct HashSlots {
  ByteRange content_sha256;  // 32 bytes
  ByteRange signature;       // 72 bytes (kSignatureSlotBytes)
  ByteRange signature_size;  // 4 bytes of the uint field
};

// Finds the slots of a verified root `bundle` whose buffer starts at `file_begin` (the
// first byte of the file). kCorrupt when a slot is missing or has the wrong size.
Result<HashSlots> find_hash_slots(const std::uint8_t* file_begin, const fb::Bundle& bundle);

// SHA-256 of `file` with the slots' bytes read as zero. `file` is borrowed for the call.
Sha256Digest bundle_content_digest(std::span<const std::uint8_t> file, const HashSlots& slots);

}  // namespace linnet
