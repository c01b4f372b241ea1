#include "runtime/bundle/bundle_hash.h"

#include <algorithm>
#include <array>
#include <string>

#include "runtime/bundle/bundle_format.h"
#include "runtime/bundle/bundle_generated.h"

namespace linnet {

Result<HashSlots> find_hash_slots(const std::uint8_t* file_begin, const fb::Bundle& bundle) {
  const auto* sha = bundle.content_sha256();
  if (sha == nullptr || sha->size() != kSha256Bytes) {
    return Error(ErrorCode::kCorrupt, "content_sha256 is missing or not 32 bytes");
  }
  const auto* sig = bundle.signature();
  if (sig == nullptr || sig->size() != kSignatureSlotBytes) {
    return Error(ErrorCode::kCorrupt, "signature slot is missing or not 72 bytes");
  }
  const auto* table = reinterpret_cast<const flatbuffers::Table*>(&bundle);
  const std::uint8_t* size_field = table->GetAddressOf(fb::Bundle::VT_SIGNATURE_SIZE);
  if (size_field == nullptr) return Error(ErrorCode::kCorrupt, "signature_size field is missing");
  HashSlots slots;
  slots.content_sha256 = {static_cast<std::uint64_t>(sha->Data() - file_begin), kSha256Bytes};
  slots.signature = {static_cast<std::uint64_t>(sig->Data() - file_begin), kSignatureSlotBytes};
  slots.signature_size = {static_cast<std::uint64_t>(size_field - file_begin), 4};
  return slots;
}

Sha256Digest bundle_content_digest(std::span<const std::uint8_t> file, const HashSlots& slots) {
  std::array<ByteRange, 3> zeroed = {slots.content_sha256, slots.signature, slots.signature_size};
  std::sort(zeroed.begin(), zeroed.end(), [](const ByteRange& a, const ByteRange& b) { return a.offset < b.offset; });
  static constexpr std::array<std::uint8_t, 128> kZeros{};
  Sha256 sha;
  std::uint64_t pos = 0;
  for (const ByteRange& r : zeroed) {
    // Ranges come from a verified buffer, but clamp anyway so a bad range cannot over-read.
    const std::uint64_t begin = std::clamp<std::uint64_t>(r.offset, pos, file.size());
    const std::uint64_t end = std::clamp<std::uint64_t>(r.offset + std::min<std::uint64_t>(r.length, 128), begin,
                                                        file.size());
    sha.update(file.subspan(pos, begin - pos));
    sha.update(std::span<const std::uint8_t>(kZeros.data(), end - begin));
    pos = end;
  }
  sha.update(file.subspan(pos));
  return sha.finish();
}

}  // namespace linnet
