// Scores label continuations after a prompt: the log-probability of each label's token
// sequence as what the model says next, computed with as little work as exactness allows.
//
// log P(label) = sum_k log p(t_k | prompt, t_<k). The labels form a trie over their tokens;
// every trie node n contributes factors exp(logit_c) / Z_n for its children c, with Z_n the
// softmax normaliser over the whole vocabulary at n. A Z_n shared by *every* label (always
// the root's, since each label has exactly one factor there; also any node all labels pass
// through) cancels when the scores are normalised over the labels, so at such nodes only
// the head rows of the children are computed (Executor::logits_for_rows: a few rows
// instead of the 248k of the real vocabulary). Below a branch point Z_n is needed and the
// node's full logits are computed (the forward that feeds its token uses LogitsMode::kLast).
// Single-token labels, the common case, therefore cost one head row each and no forward.
//
// The trie is walked depth first; the executor state at a node with several children that
// need feeding is saved once (Executor::save_state) and restored before each further child,
// so shared label prefixes are fed once. Snapshot and logits buffers grow as needed and are
// reused across calls.
//
// Returned scores are log-probabilities up to one additive constant common to all labels
// (the root's normaliser): softmax over them gives the probabilities normalised over the set.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/model/executor.h"
#include "runtime/tokenizer/bpe_merger.h"

namespace linnet {

struct LabelScoreStats {
  int tokens_fed = 0;       // label tokens run through the model
  int full_head_nodes = 0;  // nodes whose normaliser had to be computed
  int state_restores = 0;
};

class LabelScorer {
 public:
  // `executor` must be positioned right after the prompt (position() > 0, its last hidden
  // state present). Each label is a non-empty token sequence; `scores` receives one value
  // per label. On return the executor is somewhere below the prompt (callers restore or
  // reset it). `cancelled` (may be empty) is polled before each fed token.
  Status score(Executor& executor, std::span<const std::vector<TokenId>> labels,
               std::span<double> scores, LabelScoreStats& stats,
               const std::function<bool()>& cancelled = {});

 private:
  struct Node {
    TokenId token = -1;
    int depth = 0;
    int labels_below = 0;            // labels whose sequence passes through or ends here
    std::vector<int> children;       // indices into nodes_
    std::vector<int> labels_ending;  // labels whose last token is this node's
  };

  Status visit(Executor& executor, int node, double score_so_far, std::span<double> scores,
               LabelScoreStats& stats, const std::function<bool()>& cancelled);

  std::vector<Node> nodes_;
  int total_labels_ = 0;
  std::vector<std::vector<std::uint8_t>> snapshots_;  // one per trie depth, reused
  std::vector<float> logits_;                         // [V], the fed node's full logits
  std::vector<TokenId> rows_;
  std::vector<float> row_logits_;
};

// Softmax of `scores` into `probabilities` (same length); returns the index of the largest.
std::size_t normalise_scores(std::span<const double> scores, std::span<double> probabilities);

}  // namespace linnet
