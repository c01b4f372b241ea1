#include "runtime/bench/classify_bench.h"

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>

namespace linnet::bench {
namespace {

// CPU time of the whole process (all threads), in ms: on a busy machine wall time
// includes waiting for a core; CPU time is what an idle core would need.
double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

// Multiply-accumulates per token in the linear layers (the decoder's weight matrices; the
// embedding lookup and the head are not matrix products during the prompt).
double linear_macs_per_token(const HyperParams& hp) {
  const double D = hp.hidden_size, I = hp.intermediate_size;
  double macs = 0;
  for (LayerKind kind : hp.layer_types) {
    macs += 3 * D * I;  // gate, up, down
    if (kind == LayerKind::kLinearAttention) {
      const double C = hp.linear_conv_channels();
      const double Vd = static_cast<double>(hp.linear_num_value_heads) * hp.linear_value_head_dim;
      macs += D * C + D * Vd + 2 * D * hp.linear_num_value_heads + Vd * D;  // qkv, z, b, a, out
    } else {
      const double H = hp.num_attention_heads, Hkv = hp.num_key_value_heads, hd = hp.head_dim;
      macs += D * 2 * H * hd + 2 * D * Hkv * hd + H * hd * D;  // q(+gate), k, v, o
    }
  }
  return macs;
}

struct ModeStats {
  std::string name;
  std::vector<double> total_ms, prefix_ms, message_ms, labels_ms, cpu_ms;
  int tokens_processed = 0;  // per request (the last)
  int prompt_tokens = 0;

  static double mean(const std::vector<double>& v) {
    return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  }
  double percentile(double q) const {
    std::vector<double> s = total_ms;
    std::sort(s.begin(), s.end());
    return s.empty() ? 0.0 : s[static_cast<std::size_t>(q * static_cast<double>(s.size() - 1) + 0.5)];
  }
};

}  // namespace

int run_classify_bench(Session& session, const ClassifyBenchOptions& o) {
  const Tokenizer& tok = session.model().tokenizer();
  // Ordinary ids: below every added token.
  TokenId first_special = static_cast<TokenId>(tok.vocab_size());
  for (TokenId id : {tok.im_start_id(), tok.im_end_id(), tok.endoftext_id(), tok.think_id(), tok.end_think_id()}) {
    if (id >= 0) first_special = std::min(first_special, id);
  }
  if (first_special < 300) {
    std::fprintf(stderr, "linnet classify --bench: vocabulary too small\n");
    return 1;
  }
  std::mt19937 rng(1234);
  std::uniform_int_distribution<TokenId> any_id(256, first_special - 1);
  auto random_ids = [&](int n) {
    std::vector<TokenId> v(static_cast<std::size_t>(n));
    for (TokenId& id : v) id = any_id(rng);
    return v;
  };
  auto encode = [&](std::string_view text) { return tok.encode(text).value(); };

  std::vector<TokenId> prefix = encode("<|im_start|>system\n");
  const auto system = random_ids(o.system_tokens);
  prefix.insert(prefix.end(), system.begin(), system.end());
  const auto user_open = encode("<|im_end|>\n<|im_start|>user\n");
  prefix.insert(prefix.end(), user_open.begin(), user_open.end());
  const auto opening = encode("<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");

  std::vector<std::vector<TokenId>> labels;
  if (o.labels.empty()) {
    for (int i = 0; i < 3; ++i) labels.push_back(random_ids(1));
  } else {
    for (const std::string& l : o.labels) labels.push_back(encode(l));
  }
  if (o.score_end_token) {
    for (auto& l : labels) l.push_back(tok.im_end_id());
  }

  auto make_prompt = [&] {
    std::vector<TokenId> p = prefix;
    const auto message = random_ids(o.message_tokens);
    p.insert(p.end(), message.begin(), message.end());
    p.insert(p.end(), opening.begin(), opening.end());
    return p;
  };

  double first_request_ms = 0;
  std::size_t prefix_state_bytes = 0;
  std::vector<ModeStats> modes;
  for (const bool cached : {true, false}) {
    Classifier classifier(ClassifierOptions{.prefix_cache_entries = cached ? 2 : 0, .score_end_token = false});
    ModeStats m;
    m.name = cached ? "with prefix cache" : "without prefix cache";
    for (int r = 0; r <= o.runs; ++r) {
      const auto prompt = make_prompt();
      const double cpu0 = process_cpu_ms();
      auto c = classifier.classify_tokens(session, prompt, prefix, labels);
      const double cpu = process_cpu_ms() - cpu0;
      if (!c.ok()) {
        std::fprintf(stderr, "linnet classify --bench: %s\n", c.error().message().c_str());
        return 1;
      }
      if (r == 0) {  // warm-up; with the cache it computes the prefix state
        if (cached) first_request_ms = c->total_ms;
        continue;
      }
      m.total_ms.push_back(c->total_ms);
      m.cpu_ms.push_back(cpu);
      m.prefix_ms.push_back(c->prefix_ms);
      m.message_ms.push_back(c->message_ms);
      m.labels_ms.push_back(c->labels_ms);
      m.tokens_processed = c->tokens_processed;
      m.prompt_tokens = c->prompt_tokens;
    }
    if (cached) {
      // Size of one cached prefix state.
      session.reset();
      (void)session.prefill(prefix);
      prefix_state_bytes = session.executor().state_bytes();
      session.reset();
    }
    modes.push_back(std::move(m));
  }

  const HyperParams& hp = session.model().hyper_params();
  const auto& prov = session.model().bundle().provenance();
  if (o.json) {
    std::printf("{\"bundle\":\"%s\",\"quantization\":\"%.*s\",\"layers\":%d,\"hidden_size\":%d,\"threads\":%d,",
                o.bundle_path.c_str(), static_cast<int>(prov.quantization.size()), prov.quantization.data(),
                hp.num_layers, hp.hidden_size, session.executor().memory_plan().options.threads);
    std::printf("\"prefix_tokens\":%zu,\"message_tokens\":%d,\"opening_tokens\":%zu,\"labels\":%zu,",
                prefix.size(), o.message_tokens, opening.size(), labels.size());
    std::printf("\"first_request_ms\":%.2f,\"prefix_state_bytes\":%zu,\"modes\":[", first_request_ms,
                prefix_state_bytes);
    for (std::size_t i = 0; i < modes.size(); ++i) {
      const ModeStats& m = modes[i];
      const double mean = ModeStats::mean(m.total_ms);
      std::printf("%s{\"mode\":\"%s\",\"runs\":%zu,\"mean_ms\":%.2f,\"p50_ms\":%.2f,\"min_ms\":%.2f,"
                  "\"max_ms\":%.2f,\"requests_per_second\":%.3f,\"tokens_processed\":%d,\"prompt_tokens\":%d,"
                  "\"prefix_ms\":%.2f,\"message_ms\":%.2f,\"labels_ms\":%.2f,\"cpu_ms\":%.2f}",
                  i ? "," : "", m.name.c_str(), m.total_ms.size(), mean, m.percentile(0.5),
                  *std::min_element(m.total_ms.begin(), m.total_ms.end()),
                  *std::max_element(m.total_ms.begin(), m.total_ms.end()), 1000.0 / mean, m.tokens_processed,
                  m.prompt_tokens, ModeStats::mean(m.prefix_ms), ModeStats::mean(m.message_ms),
                  ModeStats::mean(m.labels_ms), ModeStats::mean(m.cpu_ms));
    }
    std::printf("],\"linear_macs_per_token\":%.0f}\n", linear_macs_per_token(hp));
    return 0;
  }
  std::printf("classification benchmark: %s (%.*s, %d layers, D=%d), %d threads\n", o.bundle_path.c_str(),
              static_cast<int>(prov.quantization.size()), prov.quantization.data(), hp.num_layers, hp.hidden_size,
              session.executor().memory_plan().options.threads);
  std::printf("prompt: %zu-token prefix (system %d) + %d-token message + %zu-token assistant opening; %zu labels\n",
              prefix.size(), o.system_tokens, o.message_tokens, opening.size(), labels.size());
  std::printf("%-22s %8s %8s %8s %8s %8s %7s %8s  %s\n", "", "mean ms", "p50 ms", "min ms", "max ms", "req/s",
              "tokens", "cpu ms", "mean prefix / message / labels ms");
  for (const ModeStats& m : modes) {
    const double mean = ModeStats::mean(m.total_ms);
    std::printf("%-22s %8.1f %8.1f %8.1f %8.1f %8.2f %7d %8.1f  %.1f / %.1f / %.1f\n", m.name.c_str(), mean,
                m.percentile(0.5), *std::min_element(m.total_ms.begin(), m.total_ms.end()),
                *std::max_element(m.total_ms.begin(), m.total_ms.end()), 1000.0 / mean, m.tokens_processed,
                ModeStats::mean(m.cpu_ms), ModeStats::mean(m.prefix_ms), ModeStats::mean(m.message_ms),
                ModeStats::mean(m.labels_ms));
  }
  std::printf("first request (computes the prefix state): %.1f ms; one cached prefix state: %.2f MiB\n",
              first_request_ms, static_cast<double>(prefix_state_bytes) / (1024.0 * 1024.0));
  const double macs = linear_macs_per_token(hp);
  std::printf("linear-layer work: %.3f GMAC per token; with the cache %.1f GMAC/request, %.1f GMAC/s of CPU time\n",
              macs * 1e-9, macs * modes[0].tokens_processed * 1e-9,
              macs * modes[0].tokens_processed * 1e-6 / ModeStats::mean(modes[0].cpu_ms));
  return 0;
}

}  // namespace linnet::bench
