#include "runtime/tokenizer/stream_decoder.h"

#include "runtime/tokenizer/utf8.h"

namespace linnet {

Status StreamDecoder::push(TokenId id, std::string& out) {
  if (id < 0 || static_cast<std::size_t>(id) >= tokenizer_->vocab_size())
    return Error(ErrorCode::kOutOfRange, "token id " + std::to_string(id) + " is outside the vocabulary (" +
                                             std::to_string(tokenizer_->vocab_size()) + " ids)");
  if (options_.skip_special && tokenizer_->is_special(id)) return ok_status();
  push_bytes(tokenizer_->token_bytes(id), out);
  return ok_status();
}

void StreamDecoder::push_bytes(std::string_view bytes, std::string& out) {
  for (char c : bytes) push_byte(static_cast<std::uint8_t>(c), out);
}

void StreamDecoder::push_byte(std::uint8_t b, std::string& out) {
  if (pending_size_ > 0) {
    // Allowed range of this continuation byte (RFC 3629 table: the second byte after
    // E0, ED, F0 and F4 is narrowed to exclude overlongs, surrogates and > U+10FFFF).
    std::uint8_t lo = 0x80, hi = 0xBF;
    if (pending_size_ == 1) {
      const auto lead = static_cast<std::uint8_t>(pending_[0]);
      if (lead == 0xE0) lo = 0xA0;
      if (lead == 0xED) hi = 0x9F;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;
    }
    if (b >= lo && b <= hi) {
      pending_[pending_size_++] = static_cast<char>(b);
      if (pending_size_ == expected_size_) {
        out.append(pending_.data(), pending_size_);
        pending_size_ = 0;
      }
      return;
    }
    // The bytes so far are a maximal ill-formed subpart; b starts afresh.
    out.append(utf8::kReplacement);
    pending_size_ = 0;
  }
  if (b < 0x80) {
    out.push_back(static_cast<char>(b));
    return;
  }
  if (b >= 0xC2 && b <= 0xDF) {
    expected_size_ = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    expected_size_ = 3;
  } else if (b >= 0xF0 && b <= 0xF4) {
    expected_size_ = 4;
  } else {
    out.append(utf8::kReplacement);  // a stray continuation byte or an invalid lead
    return;
  }
  pending_[0] = static_cast<char>(b);
  pending_size_ = 1;
}

void StreamDecoder::finish(std::string& out) {
  if (pending_size_ > 0) out.append(utf8::kReplacement);
  pending_size_ = 0;
}

}  // namespace linnet
