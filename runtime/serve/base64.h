// Standard base64 (RFC 4648 section 4, '+' '/', '=' padding), for binary payloads in
// the line protocol (OTA chunks and manifests). Decoding is strict: no whitespace, no
// missing padding, no bits left over in the last quantum, so one piece of data has
// exactly one encoding and line noise cannot slip through as different bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace linnet::serve {

std::string base64_encode(std::span<const std::uint8_t> bytes);

// nullopt if `text` is not canonical base64.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

// Bytes that base64_decode would produce for `encoded_chars` characters (a multiple of
// 4); used to check a chunk's size before decoding it.
constexpr std::size_t base64_decoded_max(std::size_t encoded_chars) {
  return encoded_chars / 4 * 3;
}

}  // namespace linnet::serve
