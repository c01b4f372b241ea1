// The session's heap blocks beside the executor's arena, each with the most bytes it can
// take. (Its logits [V] and token history [context] are in the arena: the plan's "session"
// region.) All are made when the session is created, or at the classifier's first
// requests, and reused after; none grows per token (session_alloc_test):
//
//   sampler           4 x [V] (penalised logits, weights, candidate ids, stamps; Sampler)
//
// and, only where a Classifier runs (classify, the serial server, the C API):
//
//   prefix_snapshots  prefix_cache_entries x the executor state of a prefix: at most
//                     Executor::state_bytes_at(context - 1), since a prefix is shorter than
//                     its prompt (a policy of P tokens takes state_bytes_at(P))
//   label_scorer      [V] f32 logits + one executor state per level of the label trie that
//                     feeds several labels (labels of n tokens: up to n - 1 levels; counted
//                     here for one, i.e. labels of up to two tokens; LabelScorer)
//
// docs/memory.md lists them with the executor's (model/executor_heap.h).
#pragma once

#include <vector>

#include "runtime/bundle/model_view.h"
#include "runtime/model/memory_plan.h"
#include "runtime/session/classifier.h"

namespace linnet {

// `options` as the session's executor gets them (context_length already capped).
std::vector<MemoryBound> plan_session_heap(const HyperParams& hp, const ExecutorOptions& options);
std::vector<MemoryBound> plan_classifier_heap(const HyperParams& hp, const ExecutorOptions& options,
                                              const ClassifierOptions& classifier);

}  // namespace linnet
