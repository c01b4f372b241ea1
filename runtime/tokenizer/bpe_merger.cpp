#include "runtime/tokenizer/bpe_merger.h"

#include <algorithm>
#include <bit>
#include <string>

namespace linnet {
namespace {

std::uint64_t pair_key(TokenId left, TokenId right) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) |
         static_cast<std::uint32_t>(right);
}

std::size_t slot_of(std::uint64_t key, std::uint32_t shift) {
  return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> shift);
}

// Min-heap order on (rank, pos): std::*_heap build max-heaps, so compare reversed.
bool later(const BpeMerger::Scratch::Candidate& a, const BpeMerger::Scratch::Candidate& b) {
  return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
}

}  // namespace

Result<BpeMerger> BpeMerger::create(std::span<const std::uint8_t> vocab_bytes,
                                    std::span<const std::uint32_t> vocab_offsets,
                                    std::span<const std::uint32_t> merge_left,
                                    std::span<const std::uint32_t> merge_right,
                                    std::span<const std::uint32_t> merge_result) {
  if (merge_left.size() != merge_right.size() || merge_left.size() != merge_result.size())
    return Error(ErrorCode::kCorrupt, "tokenizer merges: left/right/result lengths differ");
  if (vocab_offsets.empty()) return Error(ErrorCode::kCorrupt, "tokenizer vocabulary is empty");
  const std::size_t vocab = vocab_offsets.size() - 1;
  if (vocab > 0x7FFFFFFF) return Error(ErrorCode::kCorrupt, "tokenizer vocabulary too large");

  BpeMerger m;
  m.merge_count_ = merge_left.size();
  std::fill(std::begin(m.byte_token_), std::end(m.byte_token_), -1);
  for (std::size_t id = 0; id < vocab; ++id) {
    const std::uint32_t b = vocab_offsets[id], e = vocab_offsets[id + 1];
    if (b > e || e > vocab_bytes.size())
      return Error(ErrorCode::kCorrupt, "tokenizer vocabulary offsets of token " + std::to_string(id) + " are out of range");
    // The first single-byte token wins (a later added token with the same byte does not).
    if (e - b == 1 && m.byte_token_[vocab_bytes[b]] < 0) m.byte_token_[vocab_bytes[b]] = static_cast<TokenId>(id);
  }

  // Load factor at most 1/2.
  const std::size_t size = std::bit_ceil(std::max<std::size_t>(16, 2 * merge_left.size()));
  m.shift_ = static_cast<std::uint32_t>(64 - std::countr_zero(size));
  m.table_.assign(size, Entry{kEmpty, 0, 0});
  for (std::size_t r = 0; r < merge_left.size(); ++r) {
    if (merge_left[r] >= vocab || merge_right[r] >= vocab || merge_result[r] >= vocab)
      return Error(ErrorCode::kCorrupt, "tokenizer merge " + std::to_string(r) + " names a token outside the vocabulary");
    const std::uint64_t key = pair_key(static_cast<TokenId>(merge_left[r]), static_cast<TokenId>(merge_right[r]));
    std::size_t slot = slot_of(key, m.shift_);
    while (m.table_[slot].key != kEmpty && m.table_[slot].key != key) slot = (slot + 1) & (size - 1);
    // A repeated pair keeps its last rank, as the Hugging Face map built from the list does.
    m.table_[slot] = Entry{key, static_cast<std::uint32_t>(r), static_cast<TokenId>(merge_result[r])};
  }
  return m;
}

const BpeMerger::Entry* BpeMerger::find(TokenId left, TokenId right) const {
  const std::uint64_t key = pair_key(left, right);
  const std::size_t mask = table_.size() - 1;
  for (std::size_t slot = slot_of(key, shift_);; slot = (slot + 1) & mask) {
    const Entry& e = table_[slot];
    if (e.key == key) return &e;
    if (e.key == kEmpty) return nullptr;
  }
}

void BpeMerger::queue_pair(Scratch& s, std::int32_t pos) const {
  if (pos < 0) return;
  const auto& left = s.symbols[static_cast<std::size_t>(pos)];
  if (left.next < 0) return;
  const TokenId right = s.symbols[static_cast<std::size_t>(left.next)].id;
  if (const Entry* e = find(left.id, right)) {
    s.heap.push_back({e->rank, static_cast<std::uint32_t>(pos), left.id, right});
    std::push_heap(s.heap.begin(), s.heap.end(), later);
  }
}

void BpeMerger::encode_small(std::string_view piece, std::vector<TokenId>& out) const {
  // Arrays on the stack: ids[k] is symbol k; rank[k]/result[k] describe the pair
  // (ids[k], ids[k+1]). Each round merges the first lowest-ranked pair.
  constexpr std::uint32_t kNone = ~0u;
  TokenId ids[kSmallPiece];
  std::uint32_t rank[kSmallPiece];
  TokenId result[kSmallPiece];
  std::size_t n = 0;
  for (char c : piece) {
    const TokenId id = byte_token_[static_cast<std::uint8_t>(c)];
    if (id >= 0) ids[n++] = id;
  }
  const auto set_pair = [&](std::size_t k) {
    const Entry* e = find(ids[k], ids[k + 1]);
    rank[k] = e ? e->rank : kNone;
    result[k] = e ? e->result : -1;
  };
  for (std::size_t k = 0; k + 1 < n; ++k) set_pair(k);
  while (n > 1) {
    std::size_t best = 0;
    for (std::size_t k = 1; k + 1 < n; ++k)
      if (rank[k] < rank[best]) best = k;
    if (rank[best] == kNone) break;
    ids[best] = result[best];
    for (std::size_t k = best + 1; k + 1 < n; ++k) {
      ids[k] = ids[k + 1];
      rank[k] = rank[k + 1];
      result[k] = result[k + 1];
    }
    --n;
    if (best > 0) set_pair(best - 1);
    if (best + 1 < n) set_pair(best);
  }
  out.insert(out.end(), ids, ids + n);
}

void BpeMerger::encode_piece(std::string_view piece, Scratch& s, std::vector<TokenId>& out) const {
  if (piece.size() == 1) {
    const TokenId id = byte_token_[static_cast<std::uint8_t>(piece[0])];
    if (id >= 0) out.push_back(id);
    return;
  }
  if (piece.size() <= kSmallPiece) {
    encode_small(piece, out);
    return;
  }
  auto& sym = s.symbols;
  sym.clear();
  s.heap.clear();
  for (char c : piece) {
    const TokenId id = byte_token_[static_cast<std::uint8_t>(c)];
    if (id < 0) continue;
    const auto n = static_cast<std::int32_t>(sym.size());
    sym.push_back({id, n - 1, -1});
    if (n > 0) sym[static_cast<std::size_t>(n - 1)].next = n;
  }
  if (sym.size() > 1) {
    for (std::size_t p = 0; p + 1 < sym.size(); ++p) {
      if (const Entry* e = find(sym[p].id, sym[p + 1].id))
        s.heap.push_back({e->rank, static_cast<std::uint32_t>(p), sym[p].id, sym[p + 1].id});
    }
    std::make_heap(s.heap.begin(), s.heap.end(), later);
    while (!s.heap.empty()) {
      std::pop_heap(s.heap.begin(), s.heap.end(), later);
      const Scratch::Candidate top = s.heap.back();
      s.heap.pop_back();
      auto& left = sym[top.pos];
      // Stale: the left symbol was merged away or changed, or its right neighbour changed.
      if (left.id != top.left || left.next < 0) continue;
      auto& right = sym[static_cast<std::size_t>(left.next)];
      if (right.id != top.right) continue;
      left.id = find(top.left, top.right)->result;
      right.id = -1;
      left.next = right.next;
      if (left.next >= 0) sym[static_cast<std::size_t>(left.next)].prev = static_cast<std::int32_t>(top.pos);
      queue_pair(s, left.prev);
      queue_pair(s, static_cast<std::int32_t>(top.pos));
    }
  }
  for (std::int32_t p = sym.empty() ? -1 : 0; p >= 0; p = sym[static_cast<std::size_t>(p)].next)
    out.push_back(sym[static_cast<std::size_t>(p)].id);
}

}  // namespace linnet
