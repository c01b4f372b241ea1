// What the serial server needs from a loaded model. The server (runtime/serve/server.h)
// owns framing, queueing and streaming; a Backend only computes. The real backend wraps
// a session (tokenizer + executor + sampler + classifier); tests use a deterministic
// fake (runtime/serve/testing/fake_backend.h), which is never linked into the device
// binary.
//
// Threading contract: the server calls classify(), generate() and the OTA commit from
// one worker thread, one at a time. info() and status() are called from the reader
// thread, possibly while classify() or generate() runs, so they must be thread-safe
// and must not wait for the running request.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"

namespace linnet::serve {

// Set by the server (from the reader thread, on a `cancel` request or when the client
// vanishes); polled by the backend between tokens (generate) or between prefill chunks
// (classify). A backend that sees it set stops within one token.
class CancelToken {
 public:
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

// Static facts about the loaded model, for the `info` command.
struct BackendInfo {
  std::string model_name;       // from the bundle, e.g. "qwen3.5-0.8b-q4"
  std::string model_sha256;     // content hash of the bundle (hex)
  std::uint32_t bundle_schema = 0;
  std::uint32_t context_length = 0;  // tokens the memory plan was made for
  std::uint32_t threads = 0;
  std::uint64_t weights_bytes = 0;   // mapped weights
  std::uint64_t planned_bytes = 0;   // the memory plan (arena: activations, caches, scratch)
};

// Live facts, for the `status` command (cheap; called during a generation).
struct BackendStatus {
  std::string model_sha256;          // changes after an OTA update is committed
  std::uint32_t context_tokens_used = 0;  // tokens in the cache of the running/last request
};

struct ClassifyRequest {
  std::string system;               // optional system prompt ("" = the bundle's default)
  std::string text;                 // the text to classify
  std::vector<std::string> labels;  // 1..kMaxLabels distinct, non-empty
};

struct LabelProbability {
  std::string label;
  double probability = 0;  // over the given labels; the probabilities sum to 1
};

struct ClassifyResult {
  std::vector<LabelProbability> labels;  // in the request's label order
  std::uint32_t prompt_tokens = 0;
  double prefill_ms = 0;
  double total_ms = 0;
};

// Unset fields take the bundle's generation defaults.
struct GenerateOptions {
  std::string system;                // optional system prompt (chat mode only)
  bool chat = true;                  // wrap the prompt in the chat template; false = raw text
  std::optional<bool> thinking;      // thinking block on/off; unset = the model's default
  std::optional<std::uint32_t> max_tokens;
  // Sampling (runtime/sampling/sampler.h, the sampler `linnet run` uses).
  std::optional<float> temperature;  // 0 = greedy
  std::optional<float> top_p;        // (0, 1]; 1 = no cut
  std::optional<std::uint32_t> top_k;  // 0 = no top-k cut
  std::optional<float> min_p;        // [0, 1); 0 = no cut
  std::optional<float> repetition_penalty;  // > 0; 1 = none
  std::optional<std::uint64_t> seed; // unset = a fresh seed per request (reported in the result)
  // Extra stop strings: generation ends when one appears in the text; the text before it
  // is delivered, the stop string itself is not. (The template's end token always stops.)
  std::vector<std::string> stop;
};

enum class StopReason : std::uint8_t {
  kEndOfTurn,   // the model ended its answer (<|im_end|> or <|endoftext|>)
  kMaxTokens,   // max_tokens reached
  kStopString,  // one of options.stop appeared
  kContextFull, // the memory plan's context length reached
  kCancelled,   // the CancelToken was set
};

std::string_view stop_reason_name(StopReason reason);

// How the tokens were chosen: the parameters the sampler actually used, after the
// bundle's defaults filled what the request left out.
struct SamplingUsed {
  bool greedy = true;  // argmax (temperature 0 or top_k 1): only repetition_penalty applies
  float temperature = 0.0f;
  std::uint32_t top_k = 0;
  float top_p = 1.0f;
  float min_p = 0.0f;
  float repetition_penalty = 1.0f;
  std::uint64_t seed = 0;  // the same seed and request give the same tokens
};

struct GenerateResult {
  StopReason stop_reason = StopReason::kEndOfTurn;
  std::uint32_t prompt_tokens = 0;
  std::uint32_t generated_tokens = 0;
  double prefill_ms = 0;
  double decode_ms = 0;
  double total_ms = 0;
  SamplingUsed sampling;  // reported to the client
};

// Receives each generated token's text as soon as it is sampled, once per token (an
// empty piece for a token whose text is held back, e.g. a possible stop string).
// `piece` may end inside a UTF-8 sequence (the server reassembles those) and is valid
// only during the call. Called on the worker thread.
using TokenSink = std::function<void(std::string_view piece)>;

class Backend {
 public:
  virtual ~Backend() = default;

  virtual BackendInfo info() const = 0;
  virtual BackendStatus status() const = 0;

  // Probabilities of each label as the model's answer. Returns kCancelled if `cancel`
  // was set before it finished; kInvalidArgument if the text does not fit the context.
  // `cancel` is owned by the server and outlives the call.
  virtual Result<ClassifyResult> classify(const ClassifyRequest& request,
                                          const CancelToken& cancel) = 0;

  // Generates from `prompt`, calling `on_token` once per token, in order. A set
  // `cancel` ends the generation within one token with StopReason::kCancelled (not an
  // error: the tokens so far were delivered). Errors: kInvalidArgument (prompt too
  // long for the context), kInternal.
  virtual Result<GenerateResult> generate(std::string_view prompt, const GenerateOptions& options,
                                          const TokenSink& on_token, const CancelToken& cancel) = 0;
};

}  // namespace linnet::serve
