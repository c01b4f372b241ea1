/* linnet-c-sample: the Linnet C API from plain C.
 *
 *   linnet-c-sample model.linnet
 *
 * Opens a bundle, tokenizes, generates an answer to a moderation chat prompt (streamed,
 * greedy), runs the same by hand with prefill / sample / decode, classifies messages with
 * label probabilities and a saved prefix state, and shows how errors come back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linnet/linnet.h"

static const char* kPolicy = "You are a content moderator. Reply with one label: SAFE, SPAM or ABUSE.";
static const char* kMessage = "Eve you are a worthless idiot";

static int check(linnet_status status, const linnet_error* error) {
  if (status != LINNET_OK) fprintf(stderr, "error: %s: %s\n", linnet_status_name(status), error->message);
  return status == LINNET_OK;
}

static int print_piece(const char* piece, size_t length, void* user_data) {
  char* answer = (char*)user_data;
  fwrite(piece, 1, length, stdout);
  fflush(stdout);
  strncat(answer, piece, length < 63 - strlen(answer) ? length : 63 - strlen(answer));
  return 0; /* continue */
}

int main(int argc, char** argv) {
  linnet_error error;
  linnet_model* model = NULL;
  linnet_session* session = NULL;
  int exit_code = 1;
  if (argc != 2) {
    fprintf(stderr, "usage: %s model.linnet\n", argv[0]);
    return 2;
  }

  /* Errors are values: a status and a message. */
  if (linnet_model_open("/nonexistent/model.linnet", NULL, &model, &error) != LINNET_OK) {
    printf("opening a missing file: %s (%s)\n", linnet_status_name(error.status), error.message);
  }

  if (!check(linnet_model_open(argv[1], NULL, &model, &error), &error)) return 1;
  linnet_model_info info;
  if (!check(linnet_model_get_info(model, &info, &error), &error)) goto done;
  printf("model: %d layers, hidden %d, vocabulary %d, %s, sha256 %.16s...\n", info.num_layers, info.hidden_size,
         info.vocab_size, info.quantization, info.sha256_hex);

  /* Tokenization: ask for the size first, then fill. */
  {
    size_t count = 0, length = 0;
    linnet_token ids[64];
    char text[256];
    linnet_tokenize(model, kMessage, strlen(kMessage), NULL, 0, &count, &error); /* OUT_OF_RANGE, count set */
    if (!check(linnet_tokenize(model, kMessage, strlen(kMessage), ids, 64, &count, &error), &error)) goto done;
    if (!check(linnet_detokenize(model, ids, count, text, sizeof text, &length, &error), &error)) goto done;
    printf("\"%s\" is %zu tokens; decoded back: \"%s\"\n", kMessage, count, text);
  }

  linnet_session_options options;
  linnet_session_options_init(&options);
  options.context_length = 512;
  options.threads = 1;
  if (!check(linnet_session_create(model, &options, &session, &error), &error)) goto done;
  printf("session memory: %zu bytes\n", linnet_session_memory_bytes(session));

  /* Generation: format the chat prompt, then stream the answer (NULL sampling: greedy). */
  char prompt[1024];
  size_t prompt_length = 0;
  char answer[64] = "";
  {
    linnet_generation_stats stats;
    if (!check(linnet_format_chat(model, kPolicy, kMessage, 0, prompt, sizeof prompt, &prompt_length, &error), &error))
      goto done;
    printf("generate: ");
    if (!check(linnet_session_generate(session, prompt, NULL, 16, print_piece, answer, &stats, &error), &error))
      goto done;
    printf("\n  %d prompt tokens, %d generated, stop reason %d\n", stats.prompt_tokens, stats.generated_tokens,
           (int)stats.stop_reason);
  }

  /* The same by hand: prefill, then sample and decode until a stop token. */
  {
    linnet_token ids[256];
    size_t count = 0;
    linnet_sampling sampling;
    linnet_sampling_init(model, &sampling);
    sampling.temperature = 0.0f; /* greedy */
    if (!check(linnet_tokenize(model, prompt, prompt_length, ids, 256, &count, &error), &error)) goto done;
    linnet_session_reset(session);
    if (!check(linnet_session_prefill(session, ids, count, &error), &error)) goto done;
    if (!check(linnet_session_set_sampling(session, &sampling, &error), &error)) goto done;
    printf("by hand: ");
    for (int step = 0; step < 16; ++step) {
      linnet_token token;
      char piece[64];
      size_t length = 0;
      if (!check(linnet_session_sample(session, &token, &error), &error)) goto done;
      if (linnet_is_stop_token(model, token)) break;
      if (!check(linnet_detokenize(model, &token, 1, piece, sizeof piece, &length, &error), &error)) goto done;
      printf("%s", piece);
      if (!check(linnet_session_decode(session, token, &error), &error)) goto done;
    }
    printf("\n");
  }

  /* Classification: label probabilities; the policy's prefix state is saved to a file and
   * reused (a second session, or a restarted device, starts warm). */
  const char* labels[] = {"SAFE", "SPAM", "ABUSE"};
  const char* messages[] = {kMessage, "thanks for fixing my printer!", "WIN a FREE camera now!!! click http://bit.ly/77"};
  const char* state_path = "linnet-c-sample.prefix";
  const char* top_first = "";
  if (!check(linnet_session_save_prefix(session, kPolicy, state_path, &error), &error)) goto done;
  if (!check(linnet_session_load_prefix(session, kPolicy, state_path, &error), &error)) goto done;
  for (int i = 0; i < 3; ++i) {
    double p[3];
    linnet_classification c;
    if (!check(linnet_session_classify(session, kPolicy, messages[i], labels, 3, p, &c, &error), &error)) goto done;
    printf("classify \"%s\": %s (SAFE %.4f, SPAM %.4f, ABUSE %.4f), %d of %d tokens computed, %.2f ms%s\n",
           messages[i], labels[c.top_label], p[0], p[1], p[2], c.tokens_processed, c.prompt_tokens, c.total_ms,
           c.prefix_cache_hit ? " (prefix cached)" : "");
    if (i == 0) top_first = labels[c.top_label];
  }
  remove(state_path);

  /* A request that cannot be served comes back as an error, the session keeps working. */
  if (linnet_session_classify(session, kPolicy, kMessage, labels, 0, NULL, NULL, &error) != LINNET_OK) {
    printf("classify with no labels: %s (%s)\n", linnet_status_name(error.status), error.message);
  }

  printf("summary: generate=%s classify=%s\n", answer, top_first);
  exit_code = 0;
done:
  linnet_session_destroy(session);
  linnet_model_close(model);
  return exit_code;
}
