// Byte-pair merging for one pre-tokenized piece: start from one token per byte, then
// repeatedly merge the adjacent pair with the lowest merge rank (the leftmost one on a
// tie) until no adjacent pair has a merge. This is exactly what the Hugging Face BPE
// model computes; like it, we keep a min-heap of candidate merges keyed by
// (rank, position) over a linked list of symbols, so a piece of n bytes costs
// O(n log n) even for a megabyte of one repeated character.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/tokenizer/token_id.h"

namespace linnet {

class BpeMerger {
 public:
  // Builds the pair -> (rank, result) table from merges in rank order (all three spans
  // the same length) and the single-byte tokens from the vocabulary.
  // `vocab_bytes`/`vocab_offsets` as in TokenizerSource; only read during create.
  static Result<BpeMerger> create(std::span<const std::uint8_t> vocab_bytes,
                                  std::span<const std::uint32_t> vocab_offsets,
                                  std::span<const std::uint32_t> merge_left,
                                  std::span<const std::uint32_t> merge_right,
                                  std::span<const std::uint32_t> merge_result);

  // Per-call working memory, caller-owned and reused across pieces.
  struct Scratch {
    struct Symbol {
      TokenId id;    // -1 once merged into its left neighbour
      std::int32_t prev;
      std::int32_t next;
    };
    struct Candidate {
      std::uint32_t rank;
      std::uint32_t pos;    // index of the left symbol
      TokenId left;         // ids the pair had when queued (stale entries are skipped)
      TokenId right;
    };
    std::vector<Symbol> symbols;
    std::vector<Candidate> heap;
  };

  // Appends the tokens of `piece` (raw bytes) to `out`. Bytes without a single-byte
  // token are dropped, as the Hugging Face BPE does without an unk token.
  // Pieces up to kSmallPiece bytes use a quadratic scan over stack arrays (faster for
  // the short pieces that make up nearly all text); longer ones the heap.
  void encode_piece(std::string_view piece, Scratch& scratch, std::vector<TokenId>& out) const;
  static constexpr std::size_t kSmallPiece = 32;

  std::size_t merge_count() const { return merge_count_; }

 private:
  struct Entry {
    std::uint64_t key;  // left << 32 | right; kEmpty for a free slot
    std::uint32_t rank;
    TokenId result;
  };
  static constexpr std::uint64_t kEmpty = ~0ull;

  // The merge of (left, right), or nullptr.
  const Entry* find(TokenId left, TokenId right) const;
  void queue_pair(Scratch& s, std::int32_t pos) const;
  void encode_small(std::string_view piece, std::vector<TokenId>& out) const;

  std::vector<Entry> table_;  // open addressing, linear probing, power-of-two size
  std::uint32_t shift_ = 0;   // 64 - log2(table size)
  std::size_t merge_count_ = 0;
  TokenId byte_token_[256] = {};
};

}  // namespace linnet
