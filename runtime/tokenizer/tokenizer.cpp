#include "runtime/tokenizer/tokenizer.h"

#include "runtime/tokenizer/nfc_normalizer.h"
#include "runtime/tokenizer/stream_decoder.h"
#include "runtime/tokenizer/utf8.h"

namespace linnet {

// Working memory of one encode call, reused for every stretch and piece.
struct EncodeScratch {
  NfcNormalizer::Scratch nfc;
  std::string normalized;
  std::vector<PreTokenizer::CharInfo> chars;
  std::vector<PieceRange> pieces;
  BpeMerger::Scratch bpe;
};

Result<Tokenizer> Tokenizer::create(const TokenizerSource& source) {
  PreTokenizerKind kind;
  if (source.pre_tokenizer.empty() || source.pre_tokenizer == "qwen3.5") {
    kind = PreTokenizerKind::kQwen35;
  } else if (source.pre_tokenizer == "qwen2") {
    kind = PreTokenizerKind::kQwen2;
  } else {
    return Error(ErrorCode::kUnsupported, "tokenizer: unknown pre-tokenizer '" + std::string(source.pre_tokenizer) + "'");
  }
  bool nfc;
  if (source.normalizer.empty() || source.normalizer == "NFC") {
    nfc = true;
  } else if (source.normalizer == "none") {
    nfc = false;
  } else {
    return Error(ErrorCode::kUnsupported, "tokenizer: unknown normalizer '" + std::string(source.normalizer) + "'");
  }
  if (source.vocab_offsets.size() < 2) return Error(ErrorCode::kCorrupt, "tokenizer: empty vocabulary");
  if (source.vocab_offsets.front() != 0 || source.vocab_offsets.back() != source.vocab_bytes.size())
    return Error(ErrorCode::kCorrupt, "tokenizer: vocabulary offsets do not span the vocabulary bytes");
  for (std::size_t i = 0; i + 1 < source.vocab_offsets.size(); ++i) {
    if (source.vocab_offsets[i] > source.vocab_offsets[i + 1])
      return Error(ErrorCode::kCorrupt, "tokenizer: vocabulary offsets decrease at token " + std::to_string(i));
  }
  auto merger = BpeMerger::create(source.vocab_bytes, source.vocab_offsets, source.merge_left,
                                  source.merge_right, source.merge_result);
  if (!merger.ok()) return std::move(merger).error();

  Tokenizer t(std::move(merger).value(), PreTokenizer(kind));
  t.nfc_ = nfc;
  t.vocab_bytes_ = source.vocab_bytes;
  t.vocab_offsets_ = source.vocab_offsets;
  const std::size_t vocab = t.vocab_size();
  t.special_.assign(vocab, false);
  std::vector<AddedTokenMatcher::Token> added;
  for (const AddedTokenView& a : source.added_tokens) {
    if (a.id >= vocab)
      return Error(ErrorCode::kCorrupt, "tokenizer: added token '" + std::string(a.content) + "' has id " +
                                            std::to_string(a.id) + " outside the vocabulary");
    if (a.content.empty()) return Error(ErrorCode::kCorrupt, "tokenizer: empty added token " + std::to_string(a.id));
    if (utf8::first_invalid(a.content) != a.content.size())
      return Error(ErrorCode::kCorrupt, "tokenizer: added token " + std::to_string(a.id) + " is not UTF-8");
    added.push_back({std::string(a.content), static_cast<TokenId>(a.id), a.special});
    t.special_[a.id] = a.special;
  }
  t.added_ = AddedTokenMatcher(std::move(added));

  const auto check_id = [&](std::int32_t id, const char* name) -> Status {
    if (id < -1 || (id >= 0 && static_cast<std::size_t>(id) >= vocab))
      return Error(ErrorCode::kCorrupt, std::string("tokenizer: ") + name + " id " + std::to_string(id) + " outside the vocabulary");
    return ok_status();
  };
  LINNET_TRY(check_id(source.eos_id, "eos"));
  LINNET_TRY(check_id(source.pad_id, "pad"));
  LINNET_TRY(check_id(source.endoftext_id, "endoftext"));
  LINNET_TRY(check_id(source.im_start_id, "im_start"));
  LINNET_TRY(check_id(source.im_end_id, "im_end"));
  LINNET_TRY(check_id(source.think_id, "think"));
  LINNET_TRY(check_id(source.end_think_id, "end_think"));
  t.eos_id_ = source.eos_id;
  t.pad_id_ = source.pad_id;
  t.endoftext_id_ = source.endoftext_id;
  t.im_start_id_ = source.im_start_id;
  t.im_end_id_ = source.im_end_id;
  t.think_id_ = source.think_id;
  t.end_think_id_ = source.end_think_id;
  return t;
}

Status Tokenizer::encode_text(std::string_view text, std::vector<TokenId>& out, EncodeScratch& s) const {
  if (text.empty()) return ok_status();
  std::string_view normalized = text;
  if (nfc_ && !NfcNormalizer::trivially_nfc(text)) {
    LINNET_TRY(nfc_normalizer_.normalize(text, s.normalized, s.nfc));
    normalized = s.normalized;
  }
  s.pieces.clear();
  pre_tokenizer_.split(normalized, s.chars, s.pieces);
  for (const PieceRange& p : s.pieces)
    merger_.encode_piece(normalized.substr(p.begin, p.end - p.begin), s.bpe, out);
  return ok_status();
}

Status Tokenizer::encode_append(std::string_view text, std::vector<TokenId>& out, EncodeOptions options) const {
  if (text.size() > 0xFFFFFFFFu) return Error(ErrorCode::kInvalidArgument, "tokenizer: text longer than 4 GiB");
  const std::size_t bad = utf8::first_invalid(text);
  if (bad != text.size())
    return Error(ErrorCode::kInvalidArgument, "tokenizer: text is not valid UTF-8 at byte " + std::to_string(bad));
  EncodeScratch scratch;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const AddedTokenMatcher::Match m = added_.find(text, pos, options.parse_special);
    LINNET_TRY(encode_text(text.substr(pos, m.begin - pos), out, scratch));
    if (m.id < 0) break;
    out.push_back(m.id);
    pos = m.begin + m.length;
  }
  return ok_status();
}

Result<std::vector<TokenId>> Tokenizer::encode(std::string_view text, EncodeOptions options) const {
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 8);
  LINNET_TRY(encode_append(text, ids, options));
  return ids;
}

std::string_view Tokenizer::token_bytes(TokenId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= vocab_size()) return {};
  const auto i = static_cast<std::size_t>(id);
  return {reinterpret_cast<const char*>(vocab_bytes_.data()) + vocab_offsets_[i], vocab_offsets_[i + 1] - vocab_offsets_[i]};
}

bool Tokenizer::is_special(TokenId id) const {
  return id >= 0 && static_cast<std::size_t>(id) < special_.size() && special_[static_cast<std::size_t>(id)];
}

Result<std::string> Tokenizer::decode(std::span<const TokenId> ids, DecodeOptions options) const {
  std::string out;
  StreamDecoder decoder(*this, options);
  for (TokenId id : ids) LINNET_TRY(decoder.push(id, out));
  decoder.finish(out);
  return out;
}

}  // namespace linnet
