#include "runtime/tokenizer/nfc_normalizer.h"

#include <utf8proc.h>

#include "runtime/tokenizer/unicode9_assigned.h"
#include "runtime/tokenizer/utf8.h"

namespace linnet {
namespace {

constexpr int kNfcOptions = UTF8PROC_STABLE | UTF8PROC_COMPOSE;

// Unicode 9.0 (what Hugging Face normalises with) did not have it: a starter with no
// decomposition that composes with nothing, so NFC neither moves it nor lets anything
// compose across it. utf8proc (Unicode 15.1) must never see it.
bool is_barrier(std::uint32_t cp) { return !assigned_in_unicode9(cp); }

bool classify_inert(std::uint32_t cp) {
  if (cp < 0x80) return true;
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;  // not a character; never in valid UTF-8
  if (is_barrier(cp)) return true;
  const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
  if (p->combining_class != 0) return false;
  switch (p->category) {
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
      return false;  // marks: the second elements of most compositions
    default:
      break;
  }
  // Hangul vowel and final jamo compose algorithmically with a preceding syllable part.
  if ((cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11A8 && cp <= 0x11C2)) return false;
  // utf8proc marks every second element of a table composition with comb_index >= 0x8000.
  if (p->comb_index != UINT16_MAX && p->comb_index >= 0x8000) return false;
  // Unchanged by NFC on its own (rules out singletons and composition exclusions).
  utf8proc_int32_t buf[8];
  const utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), buf, 8, static_cast<utf8proc_option_t>(kNfcOptions), nullptr);
  if (n != 1 || buf[0] != static_cast<utf8proc_int32_t>(cp)) {
    // Decomposes: inert only if composing gives it back (é -> e + U+0301 -> é).
    if (n < 1 || n > 8) return false;
    const utf8proc_ssize_t m = utf8proc_normalize_utf32(buf, n, static_cast<utf8proc_option_t>(kNfcOptions));
    if (m != 1 || buf[0] != static_cast<utf8proc_int32_t>(cp)) return false;
  }
  return true;
}

}  // namespace

NfcNormalizer::NfcNormalizer() : bmp_inert_(0x10000 / 64, 0) {
  for (std::uint32_t cp = 0; cp < 0x10000; ++cp)
    if (classify_inert(cp)) bmp_inert_[cp / 64] |= 1ull << (cp % 64);
}

bool NfcNormalizer::is_inert(std::uint32_t cp) const {
  return cp < 0x10000 ? ((bmp_inert_[cp / 64] >> (cp % 64)) & 1) != 0 : classify_inert(cp);
}

bool NfcNormalizer::trivially_nfc(std::string_view text) {
  // UTF-8 lead bytes below 0xCC encode code points below U+0300.
  for (char c : text)
    if (static_cast<std::uint8_t>(c) >= 0xCC) return false;
  return true;
}

Status NfcNormalizer::normalize_window(std::string_view window, std::string& out, Scratch& s) {
  // The steps of utf8proc_map (decompose, then compose and re-encode in place), with
  // the caller's buffer instead of a malloc per call.
  auto& cps = s.code_points;
  const auto* src = reinterpret_cast<const utf8proc_uint8_t*>(window.data());
  const auto len = static_cast<utf8proc_ssize_t>(window.size());
  // utf8proc_reencode writes UTF-8 over the int32 buffer and needs room for a NUL.
  if (cps.size() < window.size() + 1) cps.resize(window.size() + 1);
  const auto options = static_cast<utf8proc_option_t>(kNfcOptions);
  utf8proc_ssize_t n = utf8proc_decompose(src, len, cps.data(), static_cast<utf8proc_ssize_t>(cps.size() - 1), options);
  if (n >= 0 && static_cast<std::size_t>(n) > cps.size() - 1) {
    cps.resize(static_cast<std::size_t>(n) + 1);
    n = utf8proc_decompose(src, len, cps.data(), n, options);
  }
  if (n < 0) {
    return Error(n == UTF8PROC_ERROR_INVALIDUTF8 ? ErrorCode::kInvalidArgument : ErrorCode::kInternal,
                 std::string("NFC normalisation failed: ") + utf8proc_errmsg(n));
  }
  const utf8proc_ssize_t bytes = utf8proc_reencode(cps.data(), n, options);
  if (bytes < 0) return Error(ErrorCode::kInternal, std::string("NFC normalisation failed: ") + utf8proc_errmsg(bytes));
  out.append(reinterpret_cast<const char*>(cps.data()), static_cast<std::size_t>(bytes));
  return ok_status();
}

Status NfcNormalizer::normalize(std::string_view text, std::string& out, Scratch& scratch) const {
  out.clear();
  if (trivially_nfc(text)) {
    out.assign(text);
    return ok_status();
  }
  std::size_t copied = 0;       // text[0, copied) has been written to out
  std::size_t last_inert = 0;   // start of the latest inert character at or after `copied`
  std::size_t i = 0;
  std::uint32_t cp = 0;
  while (i < text.size()) {
    if (static_cast<std::uint8_t>(text[i]) < 0x80) {
      last_inert = i++;
      continue;
    }
    const std::size_t start = i;
    if (!utf8::decode(text, i, cp))
      return Error(ErrorCode::kInvalidArgument, "NFC normalisation: invalid UTF-8 at byte " + std::to_string(i));
    if (is_inert(cp)) {
      last_inert = start;
      continue;
    }
    // A window from the last inert character (it may compose with what follows) up
    // to the next inert character. A barrier composes with nothing: the window starts
    // after it, so marks that follow it are only reordered among themselves.
    std::size_t window_begin = std::max(last_inert, copied);
    if (window_begin < start) {
      std::size_t after = window_begin;
      std::uint32_t first = 0;
      if (utf8::decode(text, after, first) && is_barrier(first)) window_begin = after;
    }
    std::size_t window_end = i;
    while (window_end < text.size()) {
      std::size_t next = window_end;
      if (!utf8::decode(text, next, cp))
        return Error(ErrorCode::kInvalidArgument, "NFC normalisation: invalid UTF-8 at byte " + std::to_string(next));
      if (is_inert(cp)) break;
      window_end = next;
    }
    out.append(text.substr(copied, window_begin - copied));
    LINNET_TRY(normalize_window(text.substr(window_begin, window_end - window_begin), out, scratch));
    copied = i = last_inert = window_end;
  }
  out.append(text.substr(copied));
  return ok_status();
}

}  // namespace linnet
