#include "runtime/serve/session_backend.h"

#include <chrono>
#include <filesystem>
#include <random>

#include "runtime/core/sha256.h"
#include "runtime/serve/stop_strings.h"

namespace linnet::serve {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

StopReason to_stop_reason(GenerationStop stop) {
  switch (stop) {
    case GenerationStop::kEndOfTurn:
    case GenerationStop::kEndOfText: return StopReason::kEndOfTurn;
    case GenerationStop::kTokenLimit: return StopReason::kMaxTokens;
    case GenerationStop::kContextFull: return StopReason::kContextFull;
    case GenerationStop::kSinkStopped: return StopReason::kStopString;
    case GenerationStop::kCancelled: return StopReason::kCancelled;
  }
  return StopReason::kEndOfTurn;
}

// A seed for a request without one. 53 bits, so that a client reading the reported seed
// into a double (JavaScript) can send it back exactly.
std::uint64_t fresh_seed() {
  std::random_device device;
  const std::uint64_t bits = (static_cast<std::uint64_t>(device()) << 32) | device();
  return bits & ((std::uint64_t{1} << 53) - 1);
}

// The bundle's generation defaults (as `linnet run` takes them) with the request's fields
// over them.
SamplerOptions sampler_options(const Session& session, const GenerateOptions& request) {
  SamplerOptions o = session.default_sampling();
  if (request.temperature) o.temperature = *request.temperature;
  if (request.top_k) o.top_k = *request.top_k;
  if (request.top_p) o.top_p = *request.top_p;
  if (request.min_p) o.min_p = *request.min_p;
  if (request.repetition_penalty) o.repetition_penalty = *request.repetition_penalty;
  o.seed = request.seed ? *request.seed : fresh_seed();
  return o;
}

SamplingUsed sampling_used(const SamplerOptions& o) {
  return SamplingUsed{.greedy = o.greedy(),
                      .temperature = o.temperature,
                      .top_k = o.top_k,
                      .top_p = o.top_p,
                      .min_p = o.min_p,
                      .repetition_penalty = o.repetition_penalty,
                      .seed = o.seed};
}

}  // namespace

Result<SessionBackend::Loaded> SessionBackend::load(const std::string& bundle_path, bool hashed_by_caller) const {
  SessionOptions options = options_.session;
  if (options_.packed_cache_beside_bundle) options.executor.packed_weights_cache = bundle_path + ".xnnpack";
  ModelOptions model_options = options_.model;
  if (hashed_by_caller) model_options.verify_sha256 = false;
  Loaded l;
  l.model = LINNET_TRY(Model::open(bundle_path, model_options));
  l.session = LINNET_TRY(Session::create(*l.model, options));
  return l;
}

Result<std::unique_ptr<SessionBackend>> SessionBackend::open(const std::string& bundle_path,
                                                             const std::string& model_name,
                                                             SessionBackendOptions options,
                                                             bool hashed_by_caller) {
  std::unique_ptr<SessionBackend> backend(new SessionBackend(std::move(options)));
  backend->loaded_ = LINNET_TRY(backend->load(bundle_path, hashed_by_caller));
  backend->bundle_path_ = bundle_path;
  backend->publish_info(model_name);
  return backend;
}

void SessionBackend::publish_info(const std::string& model_name) {
  const Model& m = *loaded_.model;
  const Bundle& b = m.bundle();
  BackendInfo i;
  i.model_name = model_name;
  if (i.model_name.empty()) i.model_name = std::string(b.provenance().source_model);
  if (i.model_name.empty()) i.model_name = std::filesystem::path(bundle_path_).stem().string();
  i.model_sha256 = to_hex(m.content_sha256());
  i.bundle_schema = b.schema_version();
  i.context_length = static_cast<std::uint32_t>(loaded_.session->context_length());
  i.threads = static_cast<std::uint32_t>(options_.session.executor.threads);
  i.weights_bytes = b.weight_bytes();
  i.planned_bytes = loaded_.session->memory_bytes();
  std::lock_guard lock(info_mutex_);
  info_ = std::move(i);
}

Status SessionBackend::switch_model(const std::string& bundle_path, const std::string& model_name,
                                    bool hashed_by_caller) {
  const std::string old_path = bundle_path_;
  classifier_.clear_prefix_cache();  // prefix states belong to the old weights
  loaded_.session.reset();
  loaded_.model.reset();
  auto fresh = load(bundle_path, hashed_by_caller);
  if (fresh.ok()) {
    loaded_ = std::move(fresh).value();
    bundle_path_ = bundle_path;
    publish_info(model_name);
    context_used_.store(0);
    return ok_status();
  }
  Error error = std::move(fresh).error();
  auto old = load(old_path, /*hashed_by_caller=*/false);
  if (old.ok()) {
    loaded_ = std::move(old).value();
  }
  return std::move(error).with_context("loading " + bundle_path +
                                       (old.ok() ? " (still serving the previous model)"
                                                 : " (and the previous model failed to load again)"));
}

BackendInfo SessionBackend::info() const {
  std::lock_guard lock(info_mutex_);
  return info_;
}

BackendStatus SessionBackend::status() const {
  BackendStatus s;
  {
    std::lock_guard lock(info_mutex_);
    s.model_sha256 = info_.model_sha256;
  }
  s.context_tokens_used = context_used_.load();
  return s;
}

Result<ClassifyResult> SessionBackend::classify(const ClassifyRequest& request, const CancelToken& cancel) {
  if (!loaded_.session) return Error(ErrorCode::kFailedPrecondition, "no model is loaded");
  Session& session = *loaded_.session;
  const ClassifyInput input{request.system, request.text, request.labels};
  auto c = classifier_.classify(session, input, [&cancel] { return cancel.cancelled(); });
  context_used_.store(static_cast<std::uint32_t>(session.position()));
  if (!c.ok()) return std::move(c).error();
  ClassifyResult r;
  for (std::size_t i = 0; i < request.labels.size() && i < c->probabilities.size(); ++i) {
    r.labels.push_back({request.labels[i], c->probabilities[i]});
  }
  r.prompt_tokens = static_cast<std::uint32_t>(c->prompt_tokens);
  r.prefill_ms = c->prefix_ms + c->message_ms;
  r.total_ms = c->total_ms;
  return r;
}

Result<GenerateResult> SessionBackend::generate(std::string_view prompt, const GenerateOptions& options,
                                                const TokenSink& on_token, const CancelToken& cancel) {
  if (!loaded_.session) return Error(ErrorCode::kFailedPrecondition, "no model is loaded");
  Session& session = *loaded_.session;
  const auto start = Clock::now();
  auto ids = options.chat ? session.encode_chat(options.system, prompt, options.thinking)
                          : session.model().tokenizer().encode(prompt);
  if (!ids.ok()) return std::move(ids).error();
  if (ids->empty()) return Error(ErrorCode::kInvalidArgument, "the prompt has no tokens");
  if (ids->size() >= static_cast<std::size_t>(session.context_length())) {
    return Error(ErrorCode::kInvalidArgument,
                 "the prompt is " + std::to_string(ids->size()) + " tokens; the context holds " +
                     std::to_string(session.context_length()));
  }

  GenerationOptions g;
  const GenerationDefaults& defaults = session.model().bundle().generation_defaults();
  g.max_new_tokens = options.max_tokens.value_or(static_cast<std::uint32_t>(defaults.max_new_tokens));
  g.sampling = sampler_options(session, options);
  g.cancelled = [&cancel] { return cancel.cancelled(); };

  StopStringFilter filter(options.stop);
  const PieceSink sink = [&](std::string_view piece) {
    on_token(filter.push(piece));
    return !filter.matched();
  };
  auto generated = session.generate(*ids, g, sink);
  context_used_.store(static_cast<std::uint32_t>(session.position()));
  if (!generated.ok()) return std::move(generated).error();
  if (!filter.matched()) {
    const std::string rest = filter.flush();
    if (!rest.empty()) on_token(rest);
  }
  GenerateResult r;
  r.stop_reason = to_stop_reason(generated->stop);
  r.prompt_tokens = static_cast<std::uint32_t>(generated->prompt_tokens);
  r.generated_tokens = static_cast<std::uint32_t>(generated->generated_tokens);
  r.prefill_ms = generated->prefill_ms;
  r.decode_ms = generated->decode_ms;
  r.total_ms = ms_since(start);
  r.sampling = sampling_used(g.sampling);
  return r;
}

}  // namespace linnet::serve
