#include "tokenizer/nfc_normalizer.h"

#include <cstring>

#include <utf8proc.h>

namespace linnet {

bool NfcNormalizer::trivially_nfc(std::string_view text) {
  // UTF-8 lead bytes below 0xCC encode code points below U+0300.
  for (char c : text)
    if (static_cast<std::uint8_t>(c) >= 0xCC) return false;
  return true;
}

Status NfcNormalizer::normalize(std::string_view text, std::string& out) {
  if (trivially_nfc(text)) {
    out.assign(text);
    return ok_status();
  }
  // The steps of utf8proc_map (decompose, then compose and re-encode in place), with
  // our own buffer instead of a malloc per call.
  constexpr int kOptions = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
  const auto* src = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  const auto len = static_cast<utf8proc_ssize_t>(text.size());
  // utf8proc_reencode writes UTF-8 over the int32 buffer and needs room for a NUL.
  if (code_points_.size() < text.size() + 1) code_points_.resize(text.size() + 1);
  utf8proc_ssize_t n = utf8proc_decompose(src, len, code_points_.data(),
                                          static_cast<utf8proc_ssize_t>(code_points_.size() - 1),
                                          static_cast<utf8proc_option_t>(kOptions));
  if (n >= 0 && static_cast<std::size_t>(n) > code_points_.size() - 1) {
    code_points_.resize(static_cast<std::size_t>(n) + 1);
    n = utf8proc_decompose(src, len, code_points_.data(), n, static_cast<utf8proc_option_t>(kOptions));
  }
  if (n < 0) {
    return Error(n == UTF8PROC_ERROR_INVALIDUTF8 ? ErrorCode::kInvalidArgument : ErrorCode::kInternal,
                 std::string("NFC normalisation failed: ") + utf8proc_errmsg(n));
  }
  const utf8proc_ssize_t bytes =
      utf8proc_reencode(code_points_.data(), n, static_cast<utf8proc_option_t>(kOptions));
  if (bytes < 0) return Error(ErrorCode::kInternal, std::string("NFC normalisation failed: ") + utf8proc_errmsg(bytes));
  out.resize(static_cast<std::size_t>(bytes));
  std::memcpy(out.data(), code_points_.data(), static_cast<std::size_t>(bytes));
  return ok_status();
}

}  // namespace linnet
