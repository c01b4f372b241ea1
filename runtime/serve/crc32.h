// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial and final XOR
// 0xFFFFFFFF: the same value as zlib's crc32() and Python's zlib.crc32), the per-chunk
// checksum of OTA transfers. Cheap on a microcontroller, and it catches the burst
// errors a serial line makes; the update's integrity as a whole is the OTA agent's
// SHA-256 and signature.
#pragma once

#include <cstdint>
#include <span>

namespace linnet::serve {

std::uint32_t crc32(std::span<const std::uint8_t> bytes);

}  // namespace linnet::serve
