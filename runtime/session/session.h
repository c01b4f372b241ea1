// A session: one conversation's worth of state over a shared Model. It owns an executor
// (its arena holds the caches, the activations, and the session's logits [V] and token
// history [context]) and the sampler, all sized at create(); prefill, decode and the
// generation loop then run without allocating per token. The heap beside the arena is
// listed, with bounds, by session_memory.h.
//
//   auto model = LINNET_TRY(Model::open("m.linnet"));
//   SessionOptions options;
//   options.executor.context_length = 2048;
//   auto session = LINNET_TRY(Session::create(*model, options));
//   auto prompt = LINNET_TRY(session->encode_chat("You are ...", "hello", false));
//   auto result = LINNET_TRY(session->generate(prompt, GenerationOptions{}, [](std::string_view piece) {
//     std::fwrite(piece.data(), 1, piece.size(), stdout);
//     return true;
//   }));
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/chat/chat_prompt.h"
#include "runtime/chat/stop_condition.h"
#include "runtime/core/result.h"
#include "runtime/model/executor.h"
#include "runtime/sampling/sampler.h"
#include "runtime/session/model.h"

namespace linnet {

struct SessionOptions {
  // The executor's options, passed down whole (runtime/model/executor_options.h has each
  // default). create() caps executor.context_length by the model's max_position_embeddings
  // and sets executor.weights_identity to the bundle's content SHA-256.
  ExecutorOptions executor;
};

struct GenerationOptions {
  // temperature <= 0 is greedy. eligible_ids 0 = the tokenizer's ids (never the padding
  // rows of the head). The sampler is reseeded from sampling.seed at each generate().
  SamplerOptions sampling{.temperature = 0.0f};
  std::uint32_t max_new_tokens = 512;   // 0 = until the context is full
  // Polled before each new token; returning true ends generation (kCancelled).
  std::function<bool()> cancelled;
};

enum class GenerationStop : std::uint8_t {
  kEndOfTurn,    // <|im_end|>
  kEndOfText,    // <|endoftext|>
  kTokenLimit,   // max_new_tokens
  kContextFull,  // the executor's context length
  kSinkStopped,  // the piece sink returned false
  kCancelled,    // options.cancelled returned true
};
std::string_view generation_stop_name(GenerationStop stop);

struct GenerationResult {
  GenerationStop stop = GenerationStop::kEndOfTurn;
  int prompt_tokens = 0;
  int generated_tokens = 0;  // sampled tokens, not counting the stop token
  double prefill_ms = 0;     // prompt forward
  double decode_ms = 0;      // every step after it (sampling included)
};

// A copy of a session's context (executor state and token history), to return to later
// (e.g. the end of the last user turn in a chat).
struct SessionSnapshot {
  std::vector<std::uint8_t> state;
  std::vector<TokenId> history;
  std::vector<float> logits;  // empty when the session had none
};

// Receives the text of each generated token as whole UTF-8 characters (a piece may be
// empty while a character is incomplete); valid during the call. Return false to stop.
using PieceSink = std::function<bool(std::string_view piece)>;

class Session {
 public:
  // `model` must outlive the session.
  static Result<std::unique_ptr<Session>> create(const Model& model, const SessionOptions& options = {});

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const Model& model() const { return *model_; }
  Executor& executor() { return executor_; }
  const Executor& executor() const { return executor_; }
  int position() const { return executor_.position(); }
  int context_length() const { return executor_.context_length(); }
  // Bytes of the executor's arena (caches, activations, scratch, the logits and the history).
  std::size_t memory_bytes() const;

  // The bundle's chat format, and a chat prompt as ids (thinking unset: the bundle's
  // default). Message contents are tokenized as plain text: a user writing "<|im_end|>"
  // cannot end the turn. `system` empty: no system turn.
  const ChatFormat& chat_format() const { return chat_format_; }
  Result<std::vector<TokenId>> encode_chat(std::string_view system, std::string_view user,
                                           std::optional<bool> thinking = std::nullopt) const;

  // Back to an empty context.
  void reset();
  // Appends tokens (the prefill path when more than one) and computes the last one's
  // logits. On error the context is unchanged (or reset after a kernel failure).
  Status prefill(std::span<const TokenId> ids);
  // Appends one token through the decode path and computes its logits.
  Status decode(TokenId id);
  // Logits [V] after the last prefill/decode; empty after reset().
  std::span<const float> logits() const;
  // Sampling: configure() validates the options and reseeds; sample() picks the next token
  // from logits() (the history feeds the repetition penalty) and does not append it.
  Status configure_sampler(const SamplerOptions& options);
  Result<TokenId> sample();
  // The model's generation defaults (temperature, top-k, top-p, min-p, repetition penalty).
  SamplerOptions default_sampling() const;

  // Resets, prefills `prompt`, then samples and decodes until a stop condition, streaming
  // text to `sink` (may be empty). Nothing is allocated per token.
  Result<GenerationResult> generate(std::span<const TokenId> prompt, const GenerationOptions& options,
                                    const PieceSink& sink);

  // The same without the reset: appends `more` (may be empty when logits are present) to the
  // current context, then generates.
  Result<GenerationResult> generate_continue(std::span<const TokenId> more, const GenerationOptions& options,
                                             const PieceSink& sink);

  // Saves / restores the whole context (allocates the snapshot's buffers on save).
  Status save_snapshot(SessionSnapshot& snapshot) const;
  Status load_snapshot(const SessionSnapshot& snapshot);

  // Logits of every position of `ids` from an empty context, into `out` [T, V]: positions
  // [0, decode_from) in one prefill, positions [decode_from, T) one token at a time through
  // the decode path. decode_from in [0, T]; T == decode_from is a single prefill. Resets.
  Status score(std::span<const TokenId> ids, int decode_from, std::span<float> out);

 private:
  Session(const Model& model, Executor executor, Sampler sampler);

  const Model* model_;  // borrowed
  Executor executor_;
  Sampler sampler_;
  ChatFormat chat_format_;
  std::span<TokenId> history() { return tokens_.first(history_size_); }
  void set_history(std::span<const TokenId> ids);  // ids.size() <= context_length

  // Both in the executor's arena (its "session" region, Executor::session_logits/tokens).
  std::span<float> logits_;     // [V]
  std::span<TokenId> tokens_;   // [context_length]: the first history_size_ are the context's
  std::size_t history_size_ = 0;
  bool has_logits_ = false;
  std::string piece_;             // reused text buffer for one token's characters
};

}  // namespace linnet
