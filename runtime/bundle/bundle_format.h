// Constants of the bundle format shared by the converter (writer) and the loader.
// The schema itself is runtime/bundle/bundle.fbs.
#pragma once

#include <cstdint>

namespace linnet {

inline constexpr std::uint32_t kBundleSchemaVersion = 1;
inline constexpr char kBundleFileIdentifier[] = "LNNT";
inline constexpr std::uint32_t kDefaultDataAlignment = 64;
inline constexpr std::uint32_t kQ4BlockSize = 32;
inline constexpr std::uint32_t kSha256Bytes = 32;
inline constexpr std::uint32_t kSignatureSlotBytes = 72;

}  // namespace linnet
