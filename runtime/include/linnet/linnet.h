/* Linnet C API: load a model bundle, run sessions (prefill, decode, sampling, generation),
 * classify text against a set of labels with a reusable prompt-prefix state, tokenize.
 *
 * Conventions
 * - Opaque handles: linnet_model (the mapped bundle and its tokenizer; read-only after
 *   open, may be shared by several sessions and threads) and linnet_session (an executor
 *   with its own memory, a sampler and a prefix cache; use one session from one thread at
 *   a time). A session borrows its model: close every session before its model.
 * - Every fallible function returns a linnet_status (LINNET_OK = 0). When `error` is not
 *   NULL it receives the status and a message naming what failed; the message is
 *   truncated to fit. No C++ exception ever crosses this interface: one raised inside a
 *   call (a bug, or a C++ callback of yours that throws) is LINNET_INTERNAL
 *   (LINNET_OUT_OF_MEMORY when memory ran out) with a message naming the function and the
 *   exception. The functions without an `error` then return their fallback: 0 (a count,
 *   a position, linnet_is_stop_token), "unknown" (linnet_status_name), or do nothing.
 * - Pointers passed in are borrowed for the duration of the call unless stated otherwise.
 *   Strings are UTF-8, with an explicit length where the parameter has one (then they
 *   need not be NUL-terminated) and NUL-terminated otherwise.
 * - Memory: all model and session memory is allocated by linnet_model_open and
 *   linnet_session_create; decoding a token allocates nothing.
 * - Every option and argument is checked: a value outside its documented range is
 *   LINNET_INVALID_ARGUMENT with a message naming the field (never clamped or ignored).
 *   Options structs zero-filled (or set by their _init function) hold the defaults.
 */
#ifndef LINNET_LINNET_H_
#define LINNET_LINNET_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LINNET_API_VERSION 2  /* 2: linnet_model_options.skip_verify replaces verify_sha256 (bundles are hashed by default); LINNET_NUMERIC */

typedef enum linnet_status {
  LINNET_OK = 0,
  /* The caller asked for something invalid. */
  LINNET_INVALID_ARGUMENT = 1,
  LINNET_OUT_OF_RANGE = 2,       /* e.g. the context is full, a buffer is too small */
  LINNET_FAILED_PRECONDITION = 3, /* a call out of order, e.g. sampling before prefill */
  LINNET_CANCELLED = 4,
  /* The input data is bad. */
  LINNET_CORRUPT = 16,
  LINNET_UNSUPPORTED = 17,
  LINNET_VERIFICATION = 18,
  LINNET_NUMERIC = 19,           /* the model computed NaN or infinity (damaged weights): no answer given */
  /* The platform failed. */
  LINNET_IO = 32,
  LINNET_OUT_OF_MEMORY = 33,
  LINNET_NOT_FOUND = 34,
  LINNET_NO_SPACE = 35,
  /* A bug in Linnet or a dependency. */
  LINNET_INTERNAL = 48
} linnet_status;

#define LINNET_ERROR_MESSAGE_BYTES 512

/* Caller-owned error record (no allocation, no global state). */
typedef struct linnet_error {
  linnet_status status;
  char message[LINNET_ERROR_MESSAGE_BYTES]; /* NUL-terminated */
} linnet_error;

/* A static string such as "invalid argument". Never NULL. */
const char* linnet_status_name(linnet_status status);
/* "0.1.0" */
const char* linnet_version(void);

typedef int32_t linnet_token;

/* ---------------------------------------------------------------- model */

typedef struct linnet_model linnet_model;

typedef struct linnet_model_options {
  /* 0 (default): hash the whole bundle at open and compare with its recorded SHA-256
   * (LINNET_VERIFICATION on a mismatch: a bundle damaged on storage never serves; reads
   * every page once, cost in docs/bundle-format.md). 1: skip the hash (only when the
   * caller verified this same file just before). Other values: LINNET_INVALID_ARGUMENT. */
  int skip_verify;
} linnet_model_options;

void linnet_model_options_init(linnet_model_options* options);

/* Maps and validates the bundle at `path`. `options` may be NULL (defaults). */
linnet_status linnet_model_open(const char* path, const linnet_model_options* options,
                                linnet_model** out_model, linnet_error* error);
/* NULL is ignored. Every session of the model must be destroyed first. */
void linnet_model_close(linnet_model* model);

typedef struct linnet_model_info {
  int32_t vocab_size;         /* rows of the output head */
  int32_t hidden_size;
  int32_t num_layers;
  int32_t max_context;        /* max_position_embeddings */
  linnet_token im_start_id;   /* -1 when absent */
  linnet_token im_end_id;
  linnet_token endoftext_id;
  char sha256_hex[65];        /* bundle content hash */
  char quantization[16];      /* "f32", "f16", "q8", "q4" */
} linnet_model_info;

linnet_status linnet_model_get_info(const linnet_model* model, linnet_model_info* info,
                                    linnet_error* error);

/* ---------------------------------------------------------------- tokenization */

/* Encodes UTF-8 text (special tokens such as <|im_start|> written in the text are
 * recognised). Writes at most `capacity` ids to `ids` and the full count to `*count`;
 * when capacity is too small returns LINNET_OUT_OF_RANGE with *count set to the size
 * needed (ids then holds the first `capacity`). `ids` may be NULL when capacity is 0. */
linnet_status linnet_tokenize(const linnet_model* model, const char* text, size_t text_len,
                              linnet_token* ids, size_t capacity, size_t* count,
                              linnet_error* error);

/* Decodes ids to UTF-8 (special tokens included verbatim; ill-formed bytes become U+FFFD).
 * Writes at most `capacity` - 1 bytes plus a NUL; `*length` gets the full byte length
 * (without NUL). LINNET_OUT_OF_RANGE when it did not fit. */
linnet_status linnet_detokenize(const linnet_model* model, const linnet_token* ids, size_t count,
                                char* text, size_t capacity, size_t* length, linnet_error* error);

/* The chat prompt (ChatML; the assistant turn opened, thinking block per `thinking`:
 * 0 off, 1 on, -1 the model's default; any other value is LINNET_INVALID_ARGUMENT). `system` may be NULL (no system turn). Same
 * capacity rule as linnet_detokenize. */
linnet_status linnet_format_chat(const linnet_model* model, const char* system, const char* user,
                                 int thinking, char* text, size_t capacity, size_t* length,
                                 linnet_error* error);

/* ---------------------------------------------------------------- session */

typedef struct linnet_session linnet_session;

/* Element type of the KV cache (attention math is float32 either way). */
typedef enum linnet_kv_cache {
  LINNET_KV_CACHE_F16 = 0,  /* default */
  LINNET_KV_CACHE_INT8 = 1, /* int8 with a scale per (position, KV head) row: half of f16 */
  LINNET_KV_CACHE_F32 = 2
} linnet_kv_cache;

typedef struct linnet_session_options {
  int32_t context_length;     /* positions the memory is planned for; 0 = 4096; >= 0 (capped by the model) */
  int32_t threads;            /* worker threads, 0..256; 0 = the board's default (boards/<board>.board `threads`, as the CLI) */
  int32_t prefix_cache_entries; /* prompt-prefix states kept in memory, -1..64; 0 = 2, -1 = none */
  int32_t classify_score_end;   /* 1: also score <|im_end|> after each label; 0 (default) or 1 */
  const char* packed_weights_cache; /* XNNPACK packed-weights file; NULL = in memory */
  int32_t kv_cache;             /* a linnet_kv_cache; 0 = LINNET_KV_CACHE_F16 */
} linnet_session_options;

void linnet_session_options_init(linnet_session_options* options);

linnet_status linnet_session_create(const linnet_model* model, const linnet_session_options* options,
                                    linnet_session** out_session, linnet_error* error);
void linnet_session_destroy(linnet_session* session);

/* Back to position 0 (empty context). */
void linnet_session_reset(linnet_session* session);
int32_t linnet_session_position(const linnet_session* session);
/* Bytes the session allocated at creation (the executor's memory plan). */
size_t linnet_session_memory_bytes(const linnet_session* session);

/* Appends `count` tokens to the context (the prefill path for count > 1) and computes
 * the logits of the last one. */
linnet_status linnet_session_prefill(linnet_session* session, const linnet_token* ids, size_t count,
                                     linnet_error* error);
/* Appends one token (the decode path) and computes its logits. */
linnet_status linnet_session_decode(linnet_session* session, linnet_token token, linnet_error* error);
/* The logits after the last prefill/decode: `*logits` points at vocab_size floats owned
 * by the session, valid until the next call on it. */
linnet_status linnet_session_logits(const linnet_session* session, const float** logits,
                                    size_t* vocab_size, linnet_error* error);

/* ---------------------------------------------------------------- sampling */

typedef struct linnet_sampling {
  float temperature;         /* >= 0, finite; 0 = greedy */
  int32_t top_k;             /* >= 0; 0 = no cut */
  float top_p;               /* (0, 1]; 1 = no cut */
  float min_p;               /* [0, 1); 0 = no cut */
  float repetition_penalty;  /* > 0, finite; 1 = none */
  uint64_t seed;
} linnet_sampling;

/* The model's generation defaults (from the bundle), seed 0. */
void linnet_sampling_init(const linnet_model* model, linnet_sampling* sampling);

/* Validates and applies sampling parameters to the session and reseeds its generator
 * (the session starts greedy). */
linnet_status linnet_session_set_sampling(linnet_session* session, const linnet_sampling* sampling,
                                          linnet_error* error);
/* Picks the next token from the current logits with the session's sampling parameters
 * (the repetition penalty sees every token in the context). Does not append it. */
linnet_status linnet_session_sample(linnet_session* session, linnet_token* token, linnet_error* error);

/* 1 when `token` ends generation (<|im_end|> or <|endoftext|>), else 0. */
int linnet_is_stop_token(const linnet_model* model, linnet_token token);

/* ---------------------------------------------------------------- generation */

/* Receives each piece of generated text (whole UTF-8 characters; not NUL-terminated,
 * valid during the call). Return 0 to continue, nonzero to stop. */
typedef int (*linnet_piece_callback)(const char* piece, size_t length, void* user_data);

typedef enum linnet_stop_reason {
  LINNET_STOP_END_TOKEN = 0,   /* <|im_end|> or <|endoftext|> */
  LINNET_STOP_MAX_TOKENS = 1,
  LINNET_STOP_CONTEXT_FULL = 2,
  LINNET_STOP_CALLBACK = 3     /* the callback returned nonzero */
} linnet_stop_reason;

typedef struct linnet_generation_stats {
  linnet_stop_reason stop_reason;
  int32_t prompt_tokens;
  int32_t generated_tokens;  /* not counting the stop token */
  double prefill_ms;
  double decode_ms;
} linnet_generation_stats;

/* Resets the session, prefills `prompt` (raw text: format a chat prompt with
 * linnet_format_chat first) and generates up to `max_tokens` (0: until the context is
 * full) with `sampling` (NULL: greedy), streaming text to `on_piece` (may be NULL).
 * `stats` may be NULL. */
linnet_status linnet_session_generate(linnet_session* session, const char* prompt,
                                      const linnet_sampling* sampling, int32_t max_tokens,
                                      linnet_piece_callback on_piece, void* user_data,
                                      linnet_generation_stats* stats, linnet_error* error);

/* ---------------------------------------------------------------- classification */

typedef struct linnet_classification {
  int32_t top_label;          /* index into the labels */
  int32_t prompt_tokens;      /* tokens of the whole prompt */
  int32_t prefix_tokens_reused; /* restored from the prefix cache instead of computed */
  int32_t tokens_processed;   /* tokens run through the model (message + label tokens) */
  int prefix_cache_hit;       /* 1 when the prefix state came from the cache */
  double prefix_ms;           /* computing or restoring the prefix */
  double message_ms;          /* the message part of the prompt */
  double labels_ms;           /* scoring the labels */
  double total_ms;
} linnet_classification;

/* The probability of each label as the assistant's whole answer to `message` under the
 * policy `system` (NULL: no system turn), normalised over the labels. `probabilities`
 * receives `label_count` values in the labels' order. The state after the fixed prefix
 * (system turn and user-turn marker) is cached in the session and reused. */
linnet_status linnet_session_classify(linnet_session* session, const char* system,
                                      const char* message, const char* const* labels,
                                      size_t label_count, double* probabilities,
                                      linnet_classification* result, linnet_error* error);

/* Saves the cached prefix state for `system` (computing it if needed) to `path`, or loads
 * it from there. Loading checks the model hash, the prefix and the file's own hash: a
 * mismatch or a damaged file is LINNET_VERIFICATION / LINNET_CORRUPT (and nothing is
 * loaded); a missing file is LINNET_NOT_FOUND. */
linnet_status linnet_session_save_prefix(linnet_session* session, const char* system,
                                         const char* path, linnet_error* error);
linnet_status linnet_session_load_prefix(linnet_session* session, const char* system,
                                         const char* path, linnet_error* error);

#ifdef __cplusplus
}
#endif

#endif /* LINNET_LINNET_H_ */
