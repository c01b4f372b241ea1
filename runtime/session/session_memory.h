// The session's heap blocks beside the executor's arena, each with the most bytes it can
// take. All are made when the session (or the classifier's first request) is created and
// reused after; none grows per token (session_alloc_test):
//
//   logits            [V] f32: the last position's logits (Session)
//   history           [context] token ids: every token in the context (Session)
//   sampler           4 x [V] (penalised logits, weights, candidate ids, stamps; Sampler)
//   prefix_snapshots  prefix_cache_entries x the executor state of a prefix: at most
//                     Executor::state_bytes_at(context - 1), since a prefix is shorter than
//                     its prompt (Classifier)
//   label_scorer      [V] f32 logits + one executor state per level of the label trie that
//                     feeds several labels (labels of n tokens: up to n - 1 levels; counted
//                     here for one, two-token labels; LabelScorer)
//
// docs/memory.md lists them with the executor's (model/executor_heap.h).
#pragma once

#include <vector>

#include "bundle/model_view.h"
#include "model/memory_plan.h"
#include "session/classifier.h"

namespace linnet {

// `options` as the session's executor gets them (context_length already capped).
std::vector<MemoryBound> plan_session_heap(const HyperParams& hp, const ExecutorOptions& options,
                                           const ClassifierOptions& classifier);

}  // namespace linnet
