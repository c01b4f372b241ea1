#include "runtime/serve/crc32.h"

#include <gtest/gtest.h>

#include <string_view>

namespace linnet::serve {
namespace {

std::uint32_t crc_of(std::string_view s) {
  return crc32(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

TEST(Crc32, KnownValues) {
  // The CRC-32/ISO-HDLC check value, and values zlib.crc32 gives.
  EXPECT_EQ(crc_of("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc_of(""), 0u);
  EXPECT_EQ(crc_of("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
}

}  // namespace
}  // namespace linnet::serve
