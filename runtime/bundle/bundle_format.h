// Constants of the bundle format shared by the converter (writer) and the loader.
// The schema itself is runtime/bundle/bundle.fbs.
#pragma once

#include <cstdint>

namespace linnet {

// Version 2 added the tiled dtypes (Q8T, Q4T, Q6T) the converter now writes. Version 1
// bundles (untiled Q8/Q4, XNNPACK's layouts) still load and run through XNNPACK.
inline constexpr std::uint32_t kBundleSchemaVersion = 2;
inline constexpr std::uint32_t kOldestBundleSchemaVersion = 1;
inline constexpr char kBundleFileIdentifier[] = "LNNT";
inline constexpr std::uint32_t kDefaultDataAlignment = 64;
inline constexpr std::uint32_t kQ4BlockSize = 32;
// The tiled dtypes (bundle.fbs): rows per tile and K per block, and the bytes of one
// tile-block's codes (8 rows x 32 k).
inline constexpr std::uint32_t kTileRows = 8;
inline constexpr std::uint32_t kTileBlockK = 32;
inline constexpr std::uint32_t kQ8TTileBlockBytes = 256;
inline constexpr std::uint32_t kQ4TTileBlockBytes = 128;
inline constexpr std::uint32_t kQ6TTileBlockBytes = 192;
inline constexpr std::uint32_t kSha256Bytes = 32;
inline constexpr std::uint32_t kSignatureSlotBytes = 72;

}  // namespace linnet
