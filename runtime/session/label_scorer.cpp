#include "runtime/session/label_scorer.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace linnet {

Status LabelScorer::score(Executor& executor, std::span<const std::vector<TokenId>> labels,
                          std::span<double> scores, LabelScoreStats& stats,
                          const std::function<bool()>& cancelled) {
  if (labels.empty()) return Error(ErrorCode::kInvalidArgument, "classify: no labels");
  if (scores.size() != labels.size()) return Error(ErrorCode::kInvalidArgument, "classify: scores span size");
  if (executor.position() == 0) return Error(ErrorCode::kFailedPrecondition, "classify: no prompt processed");
  const int vocab = executor.hyper_params().vocab_size;

  // Build the trie of label token sequences (node 0 is the state after the prompt).
  nodes_.clear();
  nodes_.push_back(Node{});
  total_labels_ = static_cast<int>(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].empty()) {
      return Error(ErrorCode::kInvalidArgument, "classify: label " + std::to_string(i) + " has no tokens");
    }
    int node = 0;
    nodes_[0].labels_below++;
    for (TokenId t : labels[i]) {
      if (t < 0 || t >= vocab) {
        return Error(ErrorCode::kInvalidArgument, "classify: label token " + std::to_string(t) +
                                                      " outside the vocabulary");
      }
      int next = -1;
      for (int c : nodes_[static_cast<std::size_t>(node)].children) {
        if (nodes_[static_cast<std::size_t>(c)].token == t) next = c;
      }
      if (next < 0) {
        next = static_cast<int>(nodes_.size());
        Node child;
        child.token = t;
        child.depth = nodes_[static_cast<std::size_t>(node)].depth + 1;
        nodes_.push_back(std::move(child));
        nodes_[static_cast<std::size_t>(node)].children.push_back(next);
      }
      node = next;
      nodes_[static_cast<std::size_t>(node)].labels_below++;
    }
    nodes_[static_cast<std::size_t>(node)].labels_ending.push_back(static_cast<int>(i));
  }
  return visit(executor, 0, 0.0, scores, stats, cancelled);
}

// On entry the executor holds the state after `node`'s path; when the node's normaliser is
// needed (labels_below < total), logits_ holds its full logits.
Status LabelScorer::visit(Executor& executor, int node_index, double score_so_far,
                          std::span<double> scores, LabelScoreStats& stats,
                          const std::function<bool()>& cancelled) {
  const Node& node = nodes_[static_cast<std::size_t>(node_index)];
  const std::size_t n_children = node.children.size();
  // Each child's log p (up to the shared constant when the normaliser cancels).
  std::vector<double> child_scores(n_children);
  if (node.labels_below == total_labels_) {
    rows_.resize(n_children);
    row_logits_.resize(n_children);
    for (std::size_t i = 0; i < n_children; ++i) {
      rows_[i] = nodes_[static_cast<std::size_t>(node.children[i])].token;
    }
    LINNET_TRY(executor.logits_for_rows(rows_, row_logits_));
    for (std::size_t i = 0; i < n_children; ++i) child_scores[i] = row_logits_[i];
  } else {
    // log_softmax over the full vocabulary, in double for the sum.
    const float max_logit = *std::max_element(logits_.begin(), logits_.end());
    double sum = 0;
    for (float l : logits_) sum += std::exp(static_cast<double>(l - max_logit));
    const double log_z = static_cast<double>(max_logit) + std::log(sum);
    for (std::size_t i = 0; i < n_children; ++i) {
      const TokenId t = nodes_[static_cast<std::size_t>(node.children[i])].token;
      child_scores[i] = static_cast<double>(logits_[static_cast<std::size_t>(t)]) - log_z;
    }
  }

  std::vector<std::size_t> to_feed;  // children with their own children
  for (std::size_t i = 0; i < n_children; ++i) {
    const Node& child = nodes_[static_cast<std::size_t>(node.children[i])];
    for (int label : child.labels_ending) scores[static_cast<std::size_t>(label)] = score_so_far + child_scores[i];
    if (!child.children.empty()) to_feed.push_back(i);
  }
  if (to_feed.empty()) return ok_status();

  const std::size_t depth = static_cast<std::size_t>(node.depth);
  if (to_feed.size() > 1) {
    if (snapshots_.size() <= depth) snapshots_.resize(depth + 1);
    snapshots_[depth].resize(executor.state_bytes());
    LINNET_TRY(executor.save_state(snapshots_[depth]));
  }
  for (std::size_t k = 0; k < to_feed.size(); ++k) {
    if (cancelled && cancelled()) return Error(ErrorCode::kCancelled, "classify: cancelled");
    if (k > 0) {
      LINNET_TRY(executor.load_state(snapshots_[depth]));
      stats.state_restores++;
    }
    const std::size_t i = to_feed[k];
    const int child_index = node.children[i];
    const Node& child = nodes_[static_cast<std::size_t>(child_index)];
    const TokenId token[1] = {child.token};
    if (child.labels_below == total_labels_) {
      LINNET_TRY(executor.forward(token, LogitsMode::kNone, {}));
    } else {
      logits_.resize(static_cast<std::size_t>(executor.hyper_params().vocab_size));
      LINNET_TRY(executor.forward(token, LogitsMode::kLast, logits_));
      stats.full_head_nodes++;
    }
    stats.tokens_fed++;
    LINNET_TRY(visit(executor, child_index, score_so_far + child_scores[i], scores, stats, cancelled));
  }
  return ok_status();
}

std::size_t normalise_scores(std::span<const double> scores, std::span<double> probabilities) {
  if (scores.empty()) return 0;
  std::size_t best = 0;
  for (std::size_t i = 1; i < scores.size(); ++i) {
    if (scores[i] > scores[best]) best = i;
  }
  const double max_score = scores[best];
  double sum = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    probabilities[i] = std::exp(scores[i] - max_score);
    sum += probabilities[i];
  }
  for (double& p : probabilities) p /= sum;
  return best;
}

}  // namespace linnet
