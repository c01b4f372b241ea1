// Classification: a policy (system prompt), a message and a set of labels give the
// probability of each label as the assistant's answer, normalised over the set.
//
// The prompt is the chat prompt with thinking off:
//   <|im_start|>system\n{policy}<|im_end|>\n<|im_start|>user\n | {message}<|im_end|>\n
//   <|im_start|>assistant\n<think>\n\n</think>\n\n
// Everything before "|" is the fixed prefix. Its executor state (DeltaNet conv and
// recurrent states, attention KV entries, position) is kept in a small in-memory cache
// keyed by the prefix token ids, restored for each request, so only the message and the
// assistant opening are computed. The state can be written to a file and read back
// (prefix_state_file.h), so a device starts warm. When the message's tokenization does not
// start on the prefix boundary (e.g. a message beginning with a newline merges with the
// "\n" before it) the whole prompt is computed and the result says so.
//
// Label probability: P(label) = prod_k p(t_k | prompt, t_<k) over the label's tokens
// (tokenized as plain text, as the model writes them after the opening), normalised over
// the labels (label_scorer.h: head rows only where the normaliser cancels). By default
// the <|im_end|> after the label is NOT scored: for labels that are not prefixes of each
// other it changes little (a model that answers with a label ends its turn right after
// it) and scoring it costs one decode step plus a full head per label.
// ClassifierOptions::score_end_token includes it (exactly "the answer is this label"),
// which also separates a label from a longer label it is a prefix of.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/core/sha256.h"
#include "runtime/session/label_scorer.h"
#include "runtime/session/session.h"

namespace linnet {

// Most prefix states a classifier keeps (each is a whole executor state: megabytes).
inline constexpr int kMaxPrefixCacheEntries = 64;

struct ClassifierOptions {
  int prefix_cache_entries = 2;  // prefix states kept in memory (LRU), 0..kMaxPrefixCacheEntries; 0 disables the cache
  bool score_end_token = false;  // also score <|im_end|> after each label (see above)
};

struct ClassifyInput {
  std::string_view system;            // the policy; empty = no system turn
  std::string_view message;           // the text to classify (plain text, never chat markup)
  std::span<const std::string> labels;  // 1..kMaxLabels distinct non-empty strings
};

inline constexpr std::size_t kMaxLabels = 64;

struct Classification {
  std::vector<double> probabilities;  // per label, in the input order; sum to 1
  std::size_t top = 0;                // index of the most probable label
  int prompt_tokens = 0;              // tokens of the whole prompt
  int prefix_tokens = 0;              // tokens of its fixed prefix (0 when not usable)
  int tokens_processed = 0;           // tokens run through the model for this request
  bool prefix_cache_hit = false;      // the prefix state was restored, not computed
  double prefix_ms = 0;               // restoring or computing the prefix state
  double message_ms = 0;              // the rest of the prompt
  double labels_ms = 0;               // scoring the labels
  double total_ms = 0;                // everything, tokenization included
  LabelScoreStats label_stats;
};

class Classifier {
 public:
  explicit Classifier(ClassifierOptions options = {}) : options_(options) {}

  // Uses (and resets) `session`'s context. `cancelled` (may be empty) is polled between
  // prompt chunks and label tokens; when it returns true the result is kCancelled. A label
  // score that is NaN or infinite (a damaged model) is kNumeric: never a label.
  Result<Classification> classify(Session& session, const ClassifyInput& input,
                                  const std::function<bool()>& cancelled = {});

  // The same on token ids (benchmarks, callers with their own prompt format): `prompt` the
  // whole prompt, `prefix` its fixed part (empty, or not a proper prefix of `prompt`: no
  // cache), `labels` each label's token sequence (the end token already appended if wanted).
  Result<Classification> classify_tokens(Session& session, std::span<const TokenId> prompt,
                                         std::span<const TokenId> prefix,
                                         std::span<const std::vector<TokenId>> labels,
                                         const std::function<bool()>& cancelled = {});

  // The prefix state of `system` written to / read from `path` (see prefix_state_file.h).
  // save computes the state when it is not cached. load rejects a file made for another
  // bundle or prefix, or damaged (kVerification / kCorrupt / kNotFound), and then leaves
  // the cache as it was; on success the state is in the cache.
  Status save_prefix(Session& session, std::string_view system, const std::string& path);
  Status load_prefix(Session& session, std::string_view system, const std::string& path);

  // Prefix token ids for `system`: "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n".
  Result<std::vector<TokenId>> prefix_ids(const Session& session, std::string_view system) const;

  std::size_t cached_prefixes() const { return cache_.size(); }
  void clear_prefix_cache() { cache_.clear(); }
  const ClassifierOptions& options() const { return options_; }

 private:
  struct CacheEntry {
    Sha256Digest key{};  // hash_token_ids(prefix ids)
    int tokens = 0;
    std::vector<std::uint8_t> state;
    std::uint64_t last_used = 0;
  };

  CacheEntry* find(const Sha256Digest& key);
  CacheEntry& insert(const Sha256Digest& key, int tokens);
  // Leaves the executor positioned after `prefix`, from the cache or computed (and cached).
  Status enter_prefix(Session& session, std::span<const TokenId> prefix, bool& hit, int& computed);

  ClassifierOptions options_;
  std::vector<CacheEntry> cache_;
  std::uint64_t clock_ = 0;
  LabelScorer scorer_;
  std::vector<std::vector<TokenId>> label_ids_;
  std::vector<double> scores_;
};

}  // namespace linnet
