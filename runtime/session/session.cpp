#include "runtime/session/session.h"

#include <algorithm>
#include <cstring>

#include "runtime/tokenizer/stream_decoder.h"

namespace linnet {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

ChatFormat chat_format_of(const Bundle& bundle) {
  const ChatTemplateStrings& t = bundle.chat_template();
  ChatFormat f;
  if (!t.im_start.empty()) f.im_start = t.im_start;
  if (!t.im_end.empty()) f.im_end = t.im_end;
  if (!t.thinking_on.empty()) f.thinking_on = t.thinking_on;
  if (!t.thinking_off.empty()) f.thinking_off = t.thinking_off;
  f.default_thinking = t.default_thinking;
  return f;
}

}  // namespace

std::string_view generation_stop_name(GenerationStop stop) {
  switch (stop) {
    case GenerationStop::kEndOfTurn: return "end_of_turn";
    case GenerationStop::kEndOfText: return "end_of_text";
    case GenerationStop::kTokenLimit: return "max_tokens";  // the serial protocol's name too
    case GenerationStop::kContextFull: return "context_full";
    case GenerationStop::kSinkStopped: return "stopped";
    case GenerationStop::kCancelled: return "cancelled";
  }
  return "unknown";
}

Session::Session(const Model& model, Executor executor, Sampler sampler)
    : model_(&model),
      executor_(std::move(executor)),
      sampler_(std::move(sampler)),
      chat_format_(chat_format_of(model.bundle())),
      logits_(executor_.session_logits()),
      tokens_(executor_.session_tokens()) {
  piece_.reserve(256);
}

Result<std::unique_ptr<Session>> Session::create(const Model& model, const SessionOptions& options) {
  ExecutorOptions executor_options = options.executor;
  const int max_positions = model.hyper_params().max_position_embeddings;
  if (max_positions > 0) executor_options.context_length = std::min(executor_options.context_length, max_positions);
  executor_options.weights_identity = model.bundle().content_sha256_hex();
  Executor executor = LINNET_TRY(Executor::create(model.bundle().weights(), executor_options));
  SamplerOptions sampling;
  sampling.temperature = 0;
  sampling.eligible_ids = static_cast<std::uint32_t>(model.tokenizer().vocab_size());
  Sampler sampler = LINNET_TRY(Sampler::create(static_cast<std::size_t>(model.vocab_size()), sampling));
  return std::unique_ptr<Session>(
      new Session(model, std::move(executor), std::move(sampler)));
}

std::size_t Session::memory_bytes() const {
  return executor_.memory_plan().total_bytes;
}

void Session::set_history(std::span<const TokenId> ids) {
  std::copy(ids.begin(), ids.end(), tokens_.begin());
  history_size_ = ids.size();
}

Result<std::vector<TokenId>> Session::encode_chat(std::string_view system, std::string_view user,
                                                  std::optional<bool> thinking) const {
  std::vector<ChatMessage> messages;
  if (!system.empty()) messages.push_back({ChatRole::kSystem, system});
  messages.push_back({ChatRole::kUser, user});
  ChatOptions options;
  options.thinking = thinking;
  options.parse_special_in_content = false;
  return linnet::encode_chat(model_->tokenizer(), chat_format_, messages, options);
}

void Session::reset() {
  executor_.reset();
  history_size_ = 0;
  has_logits_ = false;
}

Status Session::prefill(std::span<const TokenId> ids) {
  const int before = executor_.position();
  Status s = executor_.forward(ids, LogitsMode::kLast, logits_);
  if (!s.ok()) {
    if (executor_.position() != before) reset();  // a kernel failure resets the executor
    return s;
  }
  std::copy(ids.begin(), ids.end(), tokens_.begin() + static_cast<std::ptrdiff_t>(history_size_));
  history_size_ += ids.size();
  has_logits_ = true;
  return ok_status();
}

Status Session::decode(TokenId id) {
  const TokenId one[1] = {id};
  return prefill(one);
}

std::span<const float> Session::logits() const {
  if (!has_logits_) return {};
  return logits_;
}


Status Session::configure_sampler(const SamplerOptions& options) {
  SamplerOptions o = options;
  if (o.eligible_ids == 0) o.eligible_ids = static_cast<std::uint32_t>(model_->tokenizer().vocab_size());
  return sampler_.configure(o);
}

Result<TokenId> Session::sample() {
  if (!has_logits_) return Error(ErrorCode::kFailedPrecondition, "sample: no logits (prefill first)");
  return sampler_.sample(logits_, history());
}

SamplerOptions Session::default_sampling() const {
  const GenerationDefaults& d = model_->bundle().generation_defaults();
  SamplerOptions o;
  o.temperature = d.temperature;
  o.top_k = d.top_k > 0 ? static_cast<std::uint32_t>(d.top_k) : 0;
  o.top_p = d.top_p;
  o.min_p = d.min_p;
  o.repetition_penalty = d.repetition_penalty;
  return o;
}

Result<GenerationResult> Session::generate(std::span<const TokenId> prompt, const GenerationOptions& options,
                                           const PieceSink& sink) {
  if (prompt.empty()) return Error(ErrorCode::kInvalidArgument, "generate: empty prompt");
  reset();
  return generate_continue(prompt, options, sink);
}

Result<GenerationResult> Session::generate_continue(std::span<const TokenId> more, const GenerationOptions& options,
                                                    const PieceSink& sink) {
  if (more.empty() && !has_logits_) return Error(ErrorCode::kFailedPrecondition, "generate: empty context");
  if (position() + static_cast<int>(more.size()) >= context_length()) {
    return Error(ErrorCode::kOutOfRange, "generate: prompt of " + std::to_string(position() + static_cast<int>(more.size())) +
                                                  " tokens does not fit the context of " +
                                                  std::to_string(context_length()));
  }
  LINNET_TRY(configure_sampler(options.sampling));
  GenerationResult result;
  result.prompt_tokens = position() + static_cast<int>(more.size());
  const auto prefill_start = Clock::now();
  if (!more.empty()) LINNET_TRY(prefill(more));
  result.prefill_ms = ms_since(prefill_start);

  const auto decode_start = Clock::now();
  StopCondition stop_condition(model_->tokenizer(), options.max_new_tokens);
  StreamDecoder text(model_->tokenizer());
  for (;;) {
    if (options.cancelled && options.cancelled()) {
      result.stop = GenerationStop::kCancelled;
      break;
    }
    const TokenId token = LINNET_TRY(sample());
    const StopReason reason = stop_condition.update(token);
    if (reason == StopReason::kEndOfTurn || reason == StopReason::kEndOfText) {
      result.stop = reason == StopReason::kEndOfTurn ? GenerationStop::kEndOfTurn : GenerationStop::kEndOfText;
      break;
    }
    result.generated_tokens++;
    piece_.clear();
    LINNET_TRY(text.push(token, piece_));
    if (sink && !sink(piece_)) {
      result.stop = GenerationStop::kSinkStopped;
      break;
    }
    if (reason == StopReason::kTokenLimit) {
      result.stop = GenerationStop::kTokenLimit;
      break;
    }
    if (position() >= context_length()) {
      result.stop = GenerationStop::kContextFull;
      break;
    }
    LINNET_TRY(decode(token));
  }
  piece_.clear();
  text.finish(piece_);
  if (!piece_.empty() && sink) sink(piece_);
  result.decode_ms = ms_since(decode_start);
  return result;
}

Status Session::save_snapshot(SessionSnapshot& snapshot) const {
  snapshot.state.resize(executor_.state_bytes());
  LINNET_TRY(executor_.save_state(snapshot.state));
  const std::span<const TokenId> ids = tokens_.first(history_size_);
  snapshot.history.assign(ids.begin(), ids.end());
  if (has_logits_) {
    snapshot.logits.assign(logits_.begin(), logits_.end());
  } else {
    snapshot.logits.clear();
  }
  return ok_status();
}

Status Session::load_snapshot(const SessionSnapshot& snapshot) {
  LINNET_TRY(executor_.load_state(snapshot.state));
  if (static_cast<std::size_t>(executor_.position()) != snapshot.history.size()) {
    reset();
    return Error(ErrorCode::kCorrupt, "load_snapshot: state position and history length differ");
  }
  set_history(snapshot.history);
  has_logits_ = snapshot.logits.size() == logits_.size();
  if (has_logits_) std::copy(snapshot.logits.begin(), snapshot.logits.end(), logits_.begin());
  return ok_status();
}

Status Session::score(std::span<const TokenId> ids, int decode_from, std::span<float> out) {
  const std::size_t T = ids.size();
  const std::size_t V = static_cast<std::size_t>(model_->vocab_size());
  if (T == 0) return Error(ErrorCode::kInvalidArgument, "score: no tokens");
  if (decode_from < 0 || static_cast<std::size_t>(decode_from) > T) {
    return Error(ErrorCode::kInvalidArgument, "score: decode_from " + std::to_string(decode_from) +
                                                  " outside [0, " + std::to_string(T) + "]");
  }
  if (out.size() < T * V) return Error(ErrorCode::kInvalidArgument, "score: output span too small");
  reset();
  const std::size_t k = static_cast<std::size_t>(decode_from);
  if (k > 0) LINNET_TRY(executor_.forward(ids.first(k), LogitsMode::kAll, out.first(k * V)));
  for (std::size_t t = k; t < T; ++t) {
    LINNET_TRY(executor_.forward(ids.subspan(t, 1), LogitsMode::kLast, out.subspan(t * V, V)));
  }
  set_history(ids);
  std::copy_n(out.begin() + static_cast<std::ptrdiff_t>((T - 1) * V), V, logits_.begin());
  has_logits_ = true;
  return ok_status();
}

}  // namespace linnet
