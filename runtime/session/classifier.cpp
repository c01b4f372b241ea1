#include "runtime/session/classifier.h"

#include <algorithm>
#include <chrono>

#include "runtime/core/finite.h"
#include "runtime/session/prefix_state_file.h"

namespace linnet {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Prompt chunk between cancellation checks.
constexpr std::size_t kChunkTokens = 64;

Status forward_chunks(Executor& executor, std::span<const TokenId> ids,
                      const std::function<bool()>& cancelled) {
  for (std::size_t start = 0; start < ids.size(); start += kChunkTokens) {
    if (cancelled && cancelled()) return Error(ErrorCode::kCancelled, "classify: cancelled");
    const std::size_t n = std::min(kChunkTokens, ids.size() - start);
    LINNET_TRY(executor.forward(ids.subspan(start, n), LogitsMode::kNone, {}));
  }
  return ok_status();
}

}  // namespace

Result<std::vector<TokenId>> Classifier::prefix_ids(const Session& session, std::string_view system) const {
  const Tokenizer& tokenizer = session.model().tokenizer();
  const ChatFormat& format = session.chat_format();
  std::vector<TokenId> ids;
  if (!system.empty()) {
    const ChatMessage messages[] = {{ChatRole::kSystem, system}};
    ChatOptions options;
    options.add_generation_prompt = false;
    options.parse_special_in_content = false;
    ids = LINNET_TRY(encode_chat(tokenizer, format, messages, options));
  }
  LINNET_TRY(tokenizer.encode_append(format.im_start, ids));
  LINNET_TRY(tokenizer.encode_append("user\n", ids, EncodeOptions{.parse_special = false}));
  return ids;
}

Classifier::CacheEntry* Classifier::find(const Sha256Digest& key) {
  for (CacheEntry& e : cache_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

Classifier::CacheEntry& Classifier::insert(const Sha256Digest& key, int tokens) {
  if (CacheEntry* existing = find(key)) {
    existing->tokens = tokens;
    return *existing;
  }
  if (cache_.size() >= static_cast<std::size_t>(std::max(options_.prefix_cache_entries, 1))) {
    auto oldest = std::min_element(cache_.begin(), cache_.end(), [](const CacheEntry& a, const CacheEntry& b) {
      return a.last_used < b.last_used;
    });
    oldest->key = key;
    oldest->tokens = tokens;
    oldest->last_used = ++clock_;
    return *oldest;  // its state buffer is reused
  }
  cache_.push_back(CacheEntry{key, tokens, {}, ++clock_});
  return cache_.back();
}

Status Classifier::enter_prefix(Session& session, std::span<const TokenId> prefix, bool& hit, int& computed) {
  Executor& executor = session.executor();
  const Sha256Digest key = hash_token_ids(prefix);
  if (CacheEntry* entry = options_.prefix_cache_entries > 0 ? find(key) : nullptr) {
    Status loaded = executor.load_state(entry->state);
    if (loaded.ok() && executor.position() == static_cast<int>(prefix.size())) {
      entry->last_used = ++clock_;
      hit = true;
      return ok_status();
    }
    // An entry that does not restore (should not happen) is dropped and recomputed.
    cache_.erase(cache_.begin() + (entry - cache_.data()));
  }
  session.reset();
  LINNET_TRY(forward_chunks(executor, prefix, {}));
  computed += static_cast<int>(prefix.size());
  if (options_.prefix_cache_entries > 0) {
    CacheEntry& entry = insert(key, static_cast<int>(prefix.size()));
    entry.state.resize(executor.state_bytes());
    LINNET_TRY(executor.save_state(entry.state));
  }
  return ok_status();
}

Result<Classification> Classifier::classify(Session& session, const ClassifyInput& input,
                                            const std::function<bool()>& cancelled) {
  const auto t0 = Clock::now();
  if (input.labels.empty()) return Error(ErrorCode::kInvalidArgument, "classify: no labels");
  if (input.labels.size() > kMaxLabels) {
    return Error(ErrorCode::kInvalidArgument, "classify: " + std::to_string(input.labels.size()) +
                                                  " labels, at most " + std::to_string(kMaxLabels));
  }
  const Tokenizer& tokenizer = session.model().tokenizer();
  label_ids_.resize(input.labels.size());
  for (std::size_t i = 0; i < input.labels.size(); ++i) {
    if (input.labels[i].empty()) return Error(ErrorCode::kInvalidArgument, "classify: label " + std::to_string(i) + " is empty");
    for (std::size_t j = 0; j < i; ++j) {
      if (input.labels[j] == input.labels[i]) {
        return Error(ErrorCode::kInvalidArgument, "classify: label '" + input.labels[i] + "' given twice");
      }
    }
    auto ids = tokenizer.encode(input.labels[i], EncodeOptions{.parse_special = false});
    if (!ids.ok()) return std::move(ids).error().with_context("classify: label '" + input.labels[i] + "'");
    label_ids_[i] = std::move(ids).value();
    if (options_.score_end_token) label_ids_[i].push_back(tokenizer.im_end_id());
  }

  const std::vector<TokenId> prompt = LINNET_TRY(session.encode_chat(input.system, input.message, false));
  const std::vector<TokenId> prefix = LINNET_TRY(prefix_ids(session, input.system));
  auto result = classify_tokens(session, prompt, prefix, label_ids_, cancelled);
  if (!result.ok() && result.error().code() == ErrorCode::kNumeric) {
    std::string names;
    for (const std::string& label : input.labels) names += (names.empty() ? "" : ", ") + label;
    return std::move(result).error().with_context("labels " + names);
  }
  if (result.ok()) result->total_ms = ms_between(t0, Clock::now());
  return result;
}

Result<Classification> Classifier::classify_tokens(Session& session, std::span<const TokenId> prompt,
                                                   std::span<const TokenId> prefix,
                                                   std::span<const std::vector<TokenId>> labels,
                                                   const std::function<bool()>& cancelled) {
  const auto t0 = Clock::now();
  if (labels.empty()) return Error(ErrorCode::kInvalidArgument, "classify: no labels");
  if (prompt.empty()) return Error(ErrorCode::kInvalidArgument, "classify: empty prompt");
  std::size_t longest_label = 0;
  for (const auto& l : labels) longest_label = std::max(longest_label, l.size());
  if (prompt.size() + longest_label > static_cast<std::size_t>(session.context_length())) {
    return Error(ErrorCode::kOutOfRange, "classify: prompt of " + std::to_string(prompt.size()) +
                                                  " tokens plus labels does not fit the context of " +
                                                  std::to_string(session.context_length()));
  }
  const bool prefix_usable = !prefix.empty() && prefix.size() < prompt.size() &&
                             std::equal(prefix.begin(), prefix.end(), prompt.begin());

  Classification result;
  result.prompt_tokens = static_cast<int>(prompt.size());
  Executor& executor = session.executor();
  const auto t1 = Clock::now();
  std::span<const TokenId> rest(prompt);
  if (prefix_usable) {
    result.prefix_tokens = static_cast<int>(prefix.size());
    Status entered = enter_prefix(session, prefix, result.prefix_cache_hit, result.tokens_processed);
    if (!entered.ok()) {
      session.reset();
      return std::move(entered).error();
    }
    rest = rest.subspan(prefix.size());
  } else {
    session.reset();
  }
  const auto t2 = Clock::now();
  Status message = forward_chunks(executor, rest, cancelled);
  if (!message.ok()) {
    session.reset();
    return std::move(message).error();
  }
  result.tokens_processed += static_cast<int>(rest.size());
  const auto t3 = Clock::now();

  scores_.assign(labels.size(), 0.0);
  Status scored = scorer_.score(executor, labels, scores_, result.label_stats, cancelled);
  session.reset();  // the context now ends inside a label: not a conversation to continue
  if (!scored.ok()) return std::move(scored).error();
  // Fail closed: a NaN score loses every comparison, so the top label would be whichever
  // came first. A damaged model gives no label at all.
  if (const std::size_t bad = first_non_finite(std::span<const double>(scores_)); bad < scores_.size()) {
    return Error(ErrorCode::kNumeric, "classify: the model's score for label " + std::to_string(bad) + " is " +
                                          non_finite_name(scores_[bad]) +
                                          " (its output is not finite: damaged weights?); no label given");
  }
  result.tokens_processed += result.label_stats.tokens_fed;
  result.probabilities.resize(scores_.size());
  result.top = normalise_scores(scores_, result.probabilities);
  const auto t4 = Clock::now();
  result.prefix_ms = ms_between(t1, t2);
  result.message_ms = ms_between(t2, t3);
  result.labels_ms = ms_between(t3, t4);
  result.total_ms = ms_between(t0, t4);
  return result;
}

Status Classifier::save_prefix(Session& session, std::string_view system, const std::string& path) {
  const std::vector<TokenId> prefix = LINNET_TRY(prefix_ids(session, system));
  const Sha256Digest key = hash_token_ids(prefix);
  std::vector<std::uint8_t> computed_state;
  std::span<const std::uint8_t> state;
  if (CacheEntry* entry = find(key)) {
    state = entry->state;
  } else {
    bool hit = false;
    int computed = 0;
    LINNET_TRY(enter_prefix(session, prefix, hit, computed));
    if (CacheEntry* cached = find(key)) {
      state = cached->state;
    } else {  // cache disabled
      computed_state.resize(session.executor().state_bytes());
      LINNET_TRY(session.executor().save_state(computed_state));
      state = computed_state;
    }
    session.reset();
  }
  PrefixStateKey file_key;
  file_key.bundle_sha256 = session.model().content_sha256();
  file_key.prefix_sha256 = key;
  file_key.prefix_tokens = static_cast<std::uint32_t>(prefix.size());
  return write_prefix_state_file(path, file_key, state);
}

Status Classifier::load_prefix(Session& session, std::string_view system, const std::string& path) {
  if (options_.prefix_cache_entries <= 0) {
    return Error(ErrorCode::kFailedPrecondition, "load prefix: the prefix cache is disabled");
  }
  const std::vector<TokenId> prefix = LINNET_TRY(prefix_ids(session, system));
  PrefixStateKey file_key;
  file_key.bundle_sha256 = session.model().content_sha256();
  file_key.prefix_sha256 = hash_token_ids(prefix);
  file_key.prefix_tokens = static_cast<std::uint32_t>(prefix.size());
  std::vector<std::uint8_t> state = LINNET_TRY(read_prefix_state_file(path, file_key));
  // The executor validates the blob's structure; the position must be the prefix's end.
  Executor& executor = session.executor();
  Status loaded = executor.load_state(state);
  const int position = executor.position();
  session.reset();
  if (!loaded.ok()) return std::move(loaded).error().with_context("prefix state " + path);
  if (position != static_cast<int>(prefix.size())) {
    return Error(ErrorCode::kCorrupt, "prefix state " + path + ": state is at position " +
                                          std::to_string(position) + ", prefix has " +
                                          std::to_string(prefix.size()) + " tokens");
  }
  CacheEntry& entry = insert(file_key.prefix_sha256, static_cast<int>(prefix.size()));
  entry.state = std::move(state);
  entry.last_used = ++clock_;
  return ok_status();
}

}  // namespace linnet
