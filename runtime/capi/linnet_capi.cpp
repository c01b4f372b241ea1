// The C API (runtime/include/linnet/linnet.h) over the C++ session layer. Every entry point
// is an exception boundary (core/boundary.h): its whole body runs inside capi_boundary()
// (a status and a message) or capi_boundary_value() (the documented fallback), so a C
// caller never sees a C++ exception. capi_boundary_test checks that each function the
// header declares goes through one.
#include "linnet/linnet.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "runtime/core/boundary.h"
#include "kernels/platform/thread_pool.h"
#include "runtime/session/classifier.h"
#include "runtime/session/model.h"
#include "runtime/session/session.h"

struct linnet_model {
  std::unique_ptr<linnet::Model> model;
};

struct linnet_session {
  const linnet_model* model = nullptr;  // borrowed; outlives the session
  std::unique_ptr<linnet::Session> session;
  linnet::Classifier classifier;
};

#ifdef LINNET_CAPI_BOUNDARY_HOOK
// Test builds only (capi_boundary_test, which defines it): called inside every boundary
// before the body, so the test can throw there.
void linnet_capi_boundary_hook(const char* entry_point);
#else
inline void linnet_capi_boundary_hook(const char*) {}
#endif

namespace {

using linnet::ErrorCode;

// The C status values are the C++ ErrorCode values.
static_assert(static_cast<int>(ErrorCode::kInvalidArgument) == LINNET_INVALID_ARGUMENT);
static_assert(static_cast<int>(ErrorCode::kOutOfRange) == LINNET_OUT_OF_RANGE);
static_assert(static_cast<int>(ErrorCode::kFailedPrecondition) == LINNET_FAILED_PRECONDITION);
static_assert(static_cast<int>(ErrorCode::kCancelled) == LINNET_CANCELLED);
static_assert(static_cast<int>(ErrorCode::kCorrupt) == LINNET_CORRUPT);
static_assert(static_cast<int>(ErrorCode::kUnsupported) == LINNET_UNSUPPORTED);
static_assert(static_cast<int>(ErrorCode::kVerification) == LINNET_VERIFICATION);
static_assert(static_cast<int>(ErrorCode::kNumeric) == LINNET_NUMERIC);
static_assert(static_cast<int>(ErrorCode::kIo) == LINNET_IO);
static_assert(static_cast<int>(ErrorCode::kOutOfMemory) == LINNET_OUT_OF_MEMORY);
static_assert(static_cast<int>(ErrorCode::kNotFound) == LINNET_NOT_FOUND);
static_assert(static_cast<int>(ErrorCode::kNoSpace) == LINNET_NO_SPACE);
static_assert(static_cast<int>(ErrorCode::kInternal) == LINNET_INTERNAL);

linnet_status fail(linnet_error* error, linnet_status status, const std::string& message) {
  if (error != nullptr) {
    error->status = status;
    const std::size_t n = std::min(message.size(), sizeof(error->message) - 1);
    std::memcpy(error->message, message.data(), n);
    error->message[n] = '\0';
  }
  return status;
}

linnet_status fail(linnet_error* error, const linnet::Error& e) {
  return fail(error, static_cast<linnet_status>(e.code()), e.message());
}

linnet_status ok(linnet_error* error) {
  if (error != nullptr) {
    error->status = LINNET_OK;
    error->message[0] = '\0';
  }
  return LINNET_OK;
}

// The boundary of every entry point that returns a linnet_status: runs body() (which
// returns one); an exception becomes LINNET_INTERNAL (LINNET_OUT_OF_MEMORY for
// std::bad_alloc) with the message "<entry point>: <what was thrown>".
template <typename Body>
linnet_status capi_boundary(linnet_error* error, const char* entry_point, Body&& body) noexcept {
  try {
    linnet_capi_boundary_hook(entry_point);
    return body();
  } catch (...) {
    return fail(error, linnet::current_exception_error(entry_point));
  }
}

// The boundary of the entry points without a linnet_error (a value, or nothing): an
// exception makes them return `fallback` (linnet.h documents each one's).
template <typename T, typename Body>
T capi_boundary_value(const char* entry_point, T fallback, Body&& body) noexcept {
  try {
    linnet_capi_boundary_hook(entry_point);
    return body();
  } catch (...) {
    return fallback;
  }
}

template <typename Body>
void capi_boundary_void(const char* entry_point, Body&& body) noexcept {
  try {
    linnet_capi_boundary_hook(entry_point);
    body();
  } catch (...) {
  }
}

#define LINNET_CAPI_REQUIRE(cond, what)                                              \
  do {                                                                               \
    if (!(cond)) return fail(error, LINNET_INVALID_ARGUMENT, std::string(what));     \
  } while (0)

// Copies `text` into a C buffer: at most capacity-1 bytes and a NUL; the full length in *length.
linnet_status copy_out(const std::string& text, char* out, std::size_t capacity, std::size_t* length,
                       linnet_error* error, const char* what) {
  if (length != nullptr) *length = text.size();
  if (capacity > 0 && out != nullptr) {
    const std::size_t n = std::min(text.size(), capacity - 1);
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
  }
  if (text.size() + 1 > capacity) {
    return fail(error, LINNET_OUT_OF_RANGE,
                std::string(what) + ": needs " + std::to_string(text.size() + 1) + " bytes, buffer has " +
                    std::to_string(capacity));
  }
  return ok(error);
}

// The checks the C structs need beyond what the C++ layer checks (values the conversion
// to C++ options would clamp or reinterpret, flags that must be 0 or 1). The message
// names the field.
linnet_status invalid(linnet_error* error, const std::string& message) {
  return fail(error, LINNET_INVALID_ARGUMENT, message);
}

bool is_flag(std::int32_t v) { return v == 0 || v == 1; }

// The sampling values to_sampler_options() would reinterpret (a negative temperature would
// mean greedy, a negative top_k no cut); top_p, min_p and repetition_penalty are checked,
// by name, by the sampler itself (Sampler::configure).
linnet_status check_sampling(const linnet_sampling& s, const char* what, linnet_error* error) {
  const std::string prefix = std::string(what) + ": linnet_sampling.";
  if (!std::isfinite(s.temperature) || s.temperature < 0.0f) {
    return invalid(error, prefix + "temperature " + std::to_string(s.temperature) + " must be finite and >= 0");
  }
  if (s.top_k < 0) return invalid(error, prefix + "top_k " + std::to_string(s.top_k) + " must be >= 0");
  return ok(error);
}

linnet::SamplerOptions to_sampler_options(const linnet_sampling& s) {
  linnet::SamplerOptions o;
  o.temperature = s.temperature;
  o.top_k = s.top_k > 0 ? static_cast<std::uint32_t>(s.top_k) : 0;
  o.top_p = s.top_p;
  o.min_p = s.min_p;
  o.repetition_penalty = s.repetition_penalty;
  o.seed = s.seed;
  return o;
}

}  // namespace

extern "C" {

const char* linnet_status_name(linnet_status status) {
  return capi_boundary_value("linnet_status_name", "unknown", [&]() -> const char* {
    if (status == LINNET_OK) return "ok";
    // error_code_name returns views of string literals (NUL-terminated).
    return linnet::error_code_name(static_cast<ErrorCode>(status)).data();
  });
}

const char* linnet_version(void) {
  return capi_boundary_value("linnet_version", "0.1.0", [] { return "0.1.0"; });
}

void linnet_model_options_init(linnet_model_options* options) {
  capi_boundary_void("linnet_model_options_init", [&] {
    if (options != nullptr) *options = linnet_model_options{};
  });
}

linnet_status linnet_model_open(const char* path, const linnet_model_options* options, linnet_model** out_model,
                                linnet_error* error) {
  return capi_boundary(error, "linnet_model_open", [&] {
    LINNET_CAPI_REQUIRE(path != nullptr && out_model != nullptr, "linnet_model_open: path and out_model are required");
    *out_model = nullptr;
    linnet::ModelOptions o;
    if (options != nullptr) {
      if (!is_flag(options->skip_verify)) {
        return invalid(error, "linnet_model_open: skip_verify " + std::to_string(options->skip_verify) +
                                  " must be 0 or 1");
      }
      o.verify_sha256 = options->skip_verify == 0;
    }
    auto model = linnet::Model::open(path, o);
    if (!model.ok()) return fail(error, model.error());
    *out_model = new linnet_model{std::move(model).value()};
    return ok(error);
  });
}

void linnet_model_close(linnet_model* model) {
  capi_boundary_void("linnet_model_close", [&] { delete model; });
}

linnet_status linnet_model_get_info(const linnet_model* model, linnet_model_info* info, linnet_error* error) {
  return capi_boundary(error, "linnet_model_get_info", [&] {
    LINNET_CAPI_REQUIRE(model != nullptr && info != nullptr, "linnet_model_get_info: model and info are required");
    const linnet::Model& m = *model->model;
    const linnet::HyperParams& hp = m.hyper_params();
    *info = linnet_model_info{};
    info->vocab_size = hp.vocab_size;
    info->hidden_size = hp.hidden_size;
    info->num_layers = hp.num_layers;
    info->max_context = hp.max_position_embeddings;
    info->im_start_id = m.tokenizer().im_start_id();
    info->im_end_id = m.tokenizer().im_end_id();
    info->endoftext_id = m.tokenizer().endoftext_id();
    const std::string hex = m.bundle().content_sha256_hex();
    std::snprintf(info->sha256_hex, sizeof info->sha256_hex, "%s", hex.c_str());
    const std::string_view q = m.bundle().provenance().quantization;
    std::snprintf(info->quantization, sizeof info->quantization, "%.*s", static_cast<int>(q.size()), q.data());
    return ok(error);
  });
}

linnet_status linnet_tokenize(const linnet_model* model, const char* text, size_t text_len, linnet_token* ids,
                              size_t capacity, size_t* count, linnet_error* error) {
  return capi_boundary(error, "linnet_tokenize", [&] {
    LINNET_CAPI_REQUIRE(model != nullptr && (text != nullptr || text_len == 0) && count != nullptr &&
                            (ids != nullptr || capacity == 0),
                        "linnet_tokenize: model, text, count (and ids when capacity > 0) are required");
    auto encoded = model->model->tokenizer().encode(std::string_view(text, text_len));
    if (!encoded.ok()) return fail(error, encoded.error());
    *count = encoded->size();
    std::copy_n(encoded->begin(), std::min(capacity, encoded->size()), ids);
    if (encoded->size() > capacity) {
      return fail(error, LINNET_OUT_OF_RANGE,
                  "linnet_tokenize: " + std::to_string(encoded->size()) + " ids, buffer holds " +
                      std::to_string(capacity));
    }
    return ok(error);
  });
}

linnet_status linnet_detokenize(const linnet_model* model, const linnet_token* ids, size_t count, char* text,
                                size_t capacity, size_t* length, linnet_error* error) {
  return capi_boundary(error, "linnet_detokenize", [&] {
    LINNET_CAPI_REQUIRE(model != nullptr && (ids != nullptr || count == 0) && (text != nullptr || capacity == 0),
                        "linnet_detokenize: model and ids are required");
    auto decoded = model->model->tokenizer().decode(std::span<const linnet_token>(ids, count));
    if (!decoded.ok()) return fail(error, decoded.error());
    return copy_out(*decoded, text, capacity, length, error, "linnet_detokenize");
  });
}

linnet_status linnet_format_chat(const linnet_model* model, const char* system, const char* user, int thinking,
                                 char* text, size_t capacity, size_t* length, linnet_error* error) {
  return capi_boundary(error, "linnet_format_chat", [&] {
    LINNET_CAPI_REQUIRE(model != nullptr && user != nullptr, "linnet_format_chat: model and user are required");
    if (thinking < -1 || thinking > 1) {
      return invalid(error, "linnet_format_chat: thinking " + std::to_string(thinking) + " must be -1, 0 or 1");
    }
    const linnet::ChatTemplateStrings& t = model->model->bundle().chat_template();
    linnet::ChatFormat format;
    if (!t.im_start.empty()) format.im_start = t.im_start;
    if (!t.im_end.empty()) format.im_end = t.im_end;
    if (!t.thinking_on.empty()) format.thinking_on = t.thinking_on;
    if (!t.thinking_off.empty()) format.thinking_off = t.thinking_off;
    format.default_thinking = t.default_thinking;
    std::vector<linnet::ChatMessage> messages;
    if (system != nullptr) messages.push_back({linnet::ChatRole::kSystem, system});
    messages.push_back({linnet::ChatRole::kUser, user});
    linnet::ChatOptions options;
    if (thinking >= 0) options.thinking = thinking != 0;
    return copy_out(linnet::render_chat(format, messages, options), text, capacity, length, error,
                    "linnet_format_chat");
  });
}

void linnet_session_options_init(linnet_session_options* options) {
  capi_boundary_void("linnet_session_options_init", [&] {
    if (options != nullptr) *options = linnet_session_options{};
  });
}

linnet_status linnet_session_create(const linnet_model* model, const linnet_session_options* options,
                                    linnet_session** out_session, linnet_error* error) {
  return capi_boundary(error, "linnet_session_create", [&] {
    LINNET_CAPI_REQUIRE(model != nullptr && out_session != nullptr,
                        "linnet_session_create: model and out_session are required");
    *out_session = nullptr;
    linnet_session_options o{};
    if (options != nullptr) o = *options;
    const std::string what = "linnet_session_create: ";
    if (o.context_length < 0) {
      return invalid(error, what + "context_length " + std::to_string(o.context_length) +
                                " must be 0 (the default, 4096) or positive");
    }
    if (o.threads < 0 || o.threads > linnet::kernels::kMaxThreads) {
      return invalid(error, what + "threads " + std::to_string(o.threads) + " must be in 0.." +
                                std::to_string(linnet::kernels::kMaxThreads) + " (0: the board's default)");
    }
    if (o.prefix_cache_entries < -1 || o.prefix_cache_entries > linnet::kMaxPrefixCacheEntries) {
      return invalid(error, what + "prefix_cache_entries " + std::to_string(o.prefix_cache_entries) +
                                " must be in -1.." + std::to_string(linnet::kMaxPrefixCacheEntries) +
                                " (-1: none, 0: 2)");
    }
    if (!is_flag(o.classify_score_end)) {
      return invalid(error, what + "classify_score_end " + std::to_string(o.classify_score_end) +
                                " must be 0 or 1");
    }
    linnet::SessionOptions so;
    // 0 keeps ExecutorOptions's default (context 4096, threads the board's).
    if (o.context_length > 0) so.executor.context_length = o.context_length;
    if (o.threads > 0) so.executor.threads = o.threads;
    if (o.packed_weights_cache != nullptr) so.executor.packed_weights_cache = o.packed_weights_cache;
    switch (o.kv_cache) {
      case LINNET_KV_CACHE_F16: so.executor.kv_cache = linnet::KvCacheType::kF16; break;
      case LINNET_KV_CACHE_INT8: so.executor.kv_cache = linnet::KvCacheType::kInt8; break;
      case LINNET_KV_CACHE_F32: so.executor.kv_cache = linnet::KvCacheType::kF32; break;
      default:
        return fail(error, linnet::Error(linnet::ErrorCode::kInvalidArgument,
                                         what + "kv_cache " + std::to_string(o.kv_cache) +
                                             " is not a linnet_kv_cache (0, 1 or 2)"));
    }
    linnet::ClassifierOptions co;
    co.prefix_cache_entries = o.prefix_cache_entries < 0 ? 0 : o.prefix_cache_entries == 0 ? 2 : o.prefix_cache_entries;
    co.score_end_token = o.classify_score_end != 0;
    auto session = linnet::Session::create(*model->model, so);
    if (!session.ok()) return fail(error, session.error());
    *out_session = new linnet_session{model, std::move(session).value(), linnet::Classifier(co)};
    return ok(error);
  });
}

void linnet_session_destroy(linnet_session* session) {
  capi_boundary_void("linnet_session_destroy", [&] { delete session; });
}

void linnet_session_reset(linnet_session* session) {
  capi_boundary_void("linnet_session_reset", [&] {
    if (session != nullptr) session->session->reset();
  });
}

int32_t linnet_session_position(const linnet_session* session) {
  return capi_boundary_value("linnet_session_position", std::int32_t{0},
                             [&] { return session != nullptr ? session->session->position() : 0; });
}

size_t linnet_session_memory_bytes(const linnet_session* session) {
  return capi_boundary_value("linnet_session_memory_bytes", std::size_t{0}, [&] {
    return session != nullptr ? session->session->memory_bytes() : std::size_t{0};
  });
}

linnet_status linnet_session_prefill(linnet_session* session, const linnet_token* ids, size_t count,
                                     linnet_error* error) {
  return capi_boundary(error, "linnet_session_prefill", [&] {
    LINNET_CAPI_REQUIRE(session != nullptr && ids != nullptr && count > 0,
                        "linnet_session_prefill: session and at least one id are required");
    linnet::Status s = session->session->prefill(std::span<const linnet_token>(ids, count));
    return s.ok() ? ok(error) : fail(error, s.error());
  });
}

linnet_status linnet_session_decode(linnet_session* session, linnet_token token, linnet_error* error) {
  return capi_boundary(error, "linnet_session_decode", [&] {
    LINNET_CAPI_REQUIRE(session != nullptr, "linnet_session_decode: session is required");
    linnet::Status s = session->session->decode(token);
    return s.ok() ? ok(error) : fail(error, s.error());
  });
}

linnet_status linnet_session_logits(const linnet_session* session, const float** logits, size_t* vocab_size,
                                    linnet_error* error) {
  return capi_boundary(error, "linnet_session_logits", [&] {
    LINNET_CAPI_REQUIRE(session != nullptr && logits != nullptr && vocab_size != nullptr,
                        "linnet_session_logits: session, logits and vocab_size are required");
    const std::span<const float> l = session->session->logits();
    if (l.empty()) return fail(error, LINNET_FAILED_PRECONDITION, "linnet_session_logits: no logits (prefill first)");
    *logits = l.data();
    *vocab_size = l.size();
    return ok(error);
  });
}

void linnet_sampling_init(const linnet_model* model, linnet_sampling* sampling) {
  capi_boundary_void("linnet_sampling_init", [&] {
    if (sampling == nullptr) return;
    *sampling = linnet_sampling{};
    sampling->top_p = 1.0f;
    sampling->repetition_penalty = 1.0f;
    if (model == nullptr) return;
    const linnet::GenerationDefaults& d = model->model->bundle().generation_defaults();
    sampling->temperature = d.temperature;
    sampling->top_k = d.top_k;
    sampling->top_p = d.top_p;
    sampling->min_p = d.min_p;
    sampling->repetition_penalty = d.repetition_penalty;
  });
}

linnet_status linnet_session_set_sampling(linnet_session* session, const linnet_sampling* sampling,
                                          linnet_error* error) {
  return capi_boundary(error, "linnet_session_set_sampling", [&] {
    LINNET_CAPI_REQUIRE(session != nullptr && sampling != nullptr,
                        "linnet_session_set_sampling: session and sampling are required");
    if (const linnet_status s = check_sampling(*sampling, "linnet_session_set_sampling", error); s != LINNET_OK) {
      return s;
    }
    linnet::Status s = session->session->configure_sampler(to_sampler_options(*sampling));
    return s.ok() ? ok(error) : fail(error, s.error());
  });
}

linnet_status linnet_session_sample(linnet_session* session, linnet_token* token, linnet_error* error) {
  return capi_boundary(error, "linnet_session_sample", [&] {
    LINNET_CAPI_REQUIRE(session != nullptr && token != nullptr, "linnet_session_sample: session and token are required");
    auto t = session->session->sample();
    if (!t.ok()) return fail(error, t.error());
    *token = *t;
    return ok(error);
  });
}

int linnet_is_stop_token(const linnet_model* model, linnet_token token) {
  return capi_boundary_value("linnet_is_stop_token", 0,
                             [&] { return model != nullptr && model->model->is_stop_token(token) ? 1 : 0; });
}

linnet_status linnet_session_generate(linnet_session* session, const char* prompt, const linnet_sampling* sampling,
                                      int32_t max_tokens, linnet_piece_callback on_piece, void* user_data,
                                      linnet_generation_stats* stats, linnet_error* error) {
  return capi_boundary(error, "linnet_session_generate", [&] {
    LINNET_CAPI_REQUIRE(session != nullptr && prompt != nullptr, "linnet_session_generate: session and prompt are required");
    if (max_tokens < 0) {
      return invalid(error, "linnet_session_generate: max_tokens " + std::to_string(max_tokens) +
                                " must be >= 0 (0: until the context is full)");
    }
    if (sampling != nullptr) {
      if (const linnet_status s = check_sampling(*sampling, "linnet_session_generate", error); s != LINNET_OK) return s;
    }
    auto ids = session->model->model->tokenizer().encode(prompt);
    if (!ids.ok()) return fail(error, ids.error());
    if (ids->empty()) return fail(error, LINNET_INVALID_ARGUMENT, "linnet_session_generate: the prompt has no tokens");
    linnet::GenerationOptions options;
    if (sampling != nullptr) options.sampling = to_sampler_options(*sampling);
    options.max_new_tokens = static_cast<std::uint32_t>(max_tokens);
    linnet::PieceSink sink;
    if (on_piece != nullptr) {
      sink = [&](std::string_view piece) { return on_piece(piece.data(), piece.size(), user_data) == 0; };
    }
    auto result = session->session->generate(*ids, options, sink);
    if (!result.ok()) return fail(error, result.error());
    if (stats != nullptr) {
      *stats = linnet_generation_stats{};
      switch (result->stop) {
        case linnet::GenerationStop::kEndOfTurn:
        case linnet::GenerationStop::kEndOfText: stats->stop_reason = LINNET_STOP_END_TOKEN; break;
        case linnet::GenerationStop::kTokenLimit: stats->stop_reason = LINNET_STOP_MAX_TOKENS; break;
        case linnet::GenerationStop::kContextFull: stats->stop_reason = LINNET_STOP_CONTEXT_FULL; break;
        case linnet::GenerationStop::kSinkStopped:
        case linnet::GenerationStop::kCancelled: stats->stop_reason = LINNET_STOP_CALLBACK; break;
      }
      stats->prompt_tokens = result->prompt_tokens;
      stats->generated_tokens = result->generated_tokens;
      stats->prefill_ms = result->prefill_ms;
      stats->decode_ms = result->decode_ms;
    }
    return ok(error);
  });
}

linnet_status linnet_session_classify(linnet_session* session, const char* system, const char* message,
                                      const char* const* labels, size_t label_count, double* probabilities,
                                      linnet_classification* result, linnet_error* error) {
  return capi_boundary(error, "linnet_session_classify", [&] {
    LINNET_CAPI_REQUIRE(session != nullptr && message != nullptr && labels != nullptr && label_count > 0 &&
                            probabilities != nullptr,
                        "linnet_session_classify: session, message, labels and probabilities are required");
    std::vector<std::string> label_strings;
    for (std::size_t i = 0; i < label_count; ++i) {
      if (labels[i] == nullptr) return fail(error, LINNET_INVALID_ARGUMENT, "linnet_session_classify: a label is NULL");
      label_strings.emplace_back(labels[i]);
    }
    auto r = session->classifier.classify(*session->session,
                                          {system != nullptr ? system : "", message, label_strings});
    if (!r.ok()) return fail(error, r.error());
    std::copy(r->probabilities.begin(), r->probabilities.end(), probabilities);
    if (result != nullptr) {
      *result = linnet_classification{};
      result->top_label = static_cast<int32_t>(r->top);
      result->prompt_tokens = r->prompt_tokens;
      result->prefix_tokens_reused = r->prefix_cache_hit ? r->prefix_tokens : 0;
      result->tokens_processed = r->tokens_processed;
      result->prefix_cache_hit = r->prefix_cache_hit ? 1 : 0;
      result->prefix_ms = r->prefix_ms;
      result->message_ms = r->message_ms;
      result->labels_ms = r->labels_ms;
      result->total_ms = r->total_ms;
    }
    return ok(error);
  });
}

linnet_status linnet_session_save_prefix(linnet_session* session, const char* system, const char* path,
                                         linnet_error* error) {
  return capi_boundary(error, "linnet_session_save_prefix", [&] {
    LINNET_CAPI_REQUIRE(session != nullptr && path != nullptr, "linnet_session_save_prefix: session and path are required");
    linnet::Status s = session->classifier.save_prefix(*session->session, system != nullptr ? system : "", path);
    return s.ok() ? ok(error) : fail(error, s.error());
  });
}

linnet_status linnet_session_load_prefix(linnet_session* session, const char* system, const char* path,
                                         linnet_error* error) {
  return capi_boundary(error, "linnet_session_load_prefix", [&] {
    LINNET_CAPI_REQUIRE(session != nullptr && path != nullptr, "linnet_session_load_prefix: session and path are required");
    linnet::Status s = session->classifier.load_prefix(*session->session, system != nullptr ? system : "", path);
    return s.ok() ? ok(error) : fail(error, s.error());
  });
}

}  // extern "C"
