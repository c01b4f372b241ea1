#include "runtime/bench/bench.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <random>
#include <span>

#include "runtime/bench/memory_bandwidth.h"
#include "runtime/bundle/bundle.h"
#include "runtime/core/json_text.h"
#include "runtime/core/process_memory.h"
#include "kernels/platform/cpu_features.h"
#include "kernels/platform/thread_pool.h"
#include "linnet/boards_generated.h"
#include "runtime/model/executor.h"

namespace linnet::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool file_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

struct Loaded {
  std::unique_ptr<Bundle> bundle;
  std::unique_ptr<Executor> executor;
};

Result<Loaded> load(const BenchOptions& o, const std::string& cache_path) {
  Loaded l;
  l.bundle = std::make_unique<Bundle>(LINNET_TRY(Bundle::open(o.bundle_path)));
  ExecutorOptions eo = o.executor;
  eo.packed_weights_cache = cache_path;
  eo.weights_identity = l.bundle->content_sha256_hex();  // as runtime/session: one cache file, one key
  if (o.verbose) eo.log = [](std::string_view m) { std::fprintf(stderr, "linnet: %.*s\n", static_cast<int>(m.size()), m.data()); };
  l.executor = std::make_unique<Executor>(LINNET_TRY(Executor::create(l.bundle->weights(), eo)));
  return l;
}

std::vector<std::int32_t> random_tokens(int count, int vocab, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::int32_t> dist(0, vocab - 1);
  std::vector<std::int32_t> t(sz(count));
  for (auto& id : t) id = dist(rng);
  return t;
}

// Bytes one decode step reads: every linear weight once (XNNPACK's packed copy when it runs
// them), the small float tensors, one embedding row, the DeltaNet states (read and written)
// and the KV cache up to `position`.
double bytes_per_token(const Bundle& bundle, const Executor& ex, int position, std::size_t kv_row_bytes) {
  const HyperParams& hp = ex.hyper_params();
  double small = 0;
  std::size_t embed_row = 0;
  for (const TensorRecord& r : bundle.tensors()) {
    const double b = static_cast<double>(r.view.data_bytes + r.view.scales_bytes);
    switch (r.cls) {
      case TensorClass::kEmbedding:
        embed_row = (r.view.data_bytes + r.view.scales_bytes) / static_cast<std::size_t>(std::max<std::int64_t>(1, r.view.rows()));
        break;
      case TensorClass::kLmHead:
      case TensorClass::kLinear:
      case TensorClass::kGateProjection:
        break;  // counted below, as the kernels read them
      default:
        small += b;
    }
  }
  // What the linear layers really read: XNNPACK's packed copies where it runs, the bundle's
  // own bytes where Linnet's kernels (or the reference) run.
  const auto linear = static_cast<double>(ex.linear_weight_bytes_per_token());
  double state = 0, kv = 0;
  for (LayerKind k : hp.layer_types) {
    if (k == LayerKind::kLinearAttention) {
      state += 2.0 * 4.0 * hp.linear_num_value_heads * hp.linear_key_head_dim * hp.linear_value_head_dim;
      state += 2.0 * 4.0 * (hp.linear_conv_kernel_dim - 1) * hp.linear_conv_channels();
    } else {
      kv += 2.0 * static_cast<double>(kv_row_bytes) * hp.num_key_value_heads * static_cast<double>(position);
    }
  }
  return linear + small + static_cast<double>(embed_row) + state + kv;
}

int argmax(std::span<const float> v) {
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

}  // namespace

Result<BenchReport> run_bench(const BenchOptions& o) {
  if (o.executor.threads < 1 || o.executor.context_length < o.long_prompt + o.decode_tokens || o.short_prompt < 1 ||
      o.long_prompt < 1 || o.decode_tokens < 1) {
    return Error(ErrorCode::kInvalidArgument, "bench: threads >= 1 and a context of at least " +
                                                  std::to_string(o.long_prompt + o.decode_tokens) + " are needed");
  }
  if (o.long_prompt < o.short_prompt) {
    return Error(ErrorCode::kInvalidArgument, "bench: the long prompt (" + std::to_string(o.long_prompt) +
                                                  " tokens) must not be shorter than the short one (" +
                                                  std::to_string(o.short_prompt) + ")");
  }
  const auto say = [&](const char* m) {
    if (o.verbose) std::fprintf(stderr, "bench: %s\n", m);
  };
  BenchReport r;
  r.bundle_path = o.bundle_path;
  r.threads = o.executor.threads;
  r.context_length = o.executor.context_length;
  r.date = utc_now();
  auto features = kernels::detect_cpu_features();
  r.cpu = features.ok() ? features->summary() : "unknown";
  const std::string cache = o.executor.packed_weights_cache.empty() ? o.bundle_path + ".xnnpack" : o.executor.packed_weights_cache;

  // 1. A first load packs XNNPACK's weights into the cache file; time it apart.
  if (o.executor.linear != LinearImpl::kReference && !file_exists(cache)) {
    say("first load: packing weights (timed apart)");
    const auto start = Clock::now();
    { Loaded first = LINNET_TRY(load(o, cache)); }
    // Only XNNPACK packs (and writes the cache file); Linnet's kernels use the bundle as is.
    r.first_load_packed = file_exists(cache);
    r.first_load_seconds = seconds_since(start);
  }
  r.peak_reset_worked = reset_peak_resident_memory();

  say("load");
  auto start = Clock::now();
  Loaded m = LINNET_TRY(load(o, cache));
  r.load_seconds = seconds_since(start);
  say("verify");
  start = Clock::now();
  LINNET_TRY(m.bundle->verify_sha256());
  r.verify_seconds = seconds_since(start);
  Executor& ex = *m.executor;
  const HyperParams& hp = ex.hyper_params();
  r.quantization = std::string(m.bundle->provenance().quantization);
  r.layers = hp.num_layers;
  r.hidden_size = hp.hidden_size;
  r.linear_backend = ex.linear_backend_description();
  r.kernels = std::string(ex.kernel_set_name()) + ", KV cache " + kv_cache_type_name(o.executor.kv_cache);
  r.bundle_file_bytes = m.bundle->file_size();
  r.bundle_weight_bytes = m.bundle->weight_bytes();
  r.arena_bytes = ex.memory_plan().total_bytes;
  if (const MemoryRegion* kv = ex.memory_plan().find("kv_cache")) r.kv_cache_bytes = kv->bytes;
  r.packed_weight_bytes = ex.packed_weight_bytes();

  std::vector<float> logits(sz(hp.vocab_size));
  const auto prompt = random_tokens(o.long_prompt, hp.vocab_size, 1234);
  r.long_prompt_tokens = o.long_prompt;
  r.decode_tokens = o.decode_tokens;
  // Warm-up: fault in the packed weights and let the thread pool spin up.
  say("warm-up");
  LINNET_TRY(ex.forward(std::span(prompt).first(std::min<std::size_t>(16, prompt.size())), LogitsMode::kLast, logits));
  ex.reset();

  say("prefill (short prompt)");
  start = Clock::now();
  LINNET_TRY(ex.forward(std::span(prompt).first(sz(o.short_prompt)), LogitsMode::kLast, logits));
  r.ttft_short_seconds = seconds_since(start);
  r.prefill_short_tokens_per_second = o.short_prompt / r.ttft_short_seconds;
  ex.reset();

  say("prefill (long prompt)");
  ex.reset_speed_counters();
  start = Clock::now();
  LINNET_TRY(ex.forward(prompt, LogitsMode::kLast, logits));
  r.ttft_long_seconds = seconds_since(start);
  r.prefill_long_tokens_per_second = o.long_prompt / r.ttft_long_seconds;
  r.prefill_long_outside_linear_fraction = 1.0 - static_cast<double>(ex.linear_busy_ns()) * 1e-9 / r.ttft_long_seconds;

  say("decode");
  std::int32_t next = argmax(logits);
  ex.reset_speed_counters();
  start = Clock::now();
  for (int i = 0; i < o.decode_tokens; ++i) {
    LINNET_TRY(ex.forward(std::span(&next, 1), LogitsMode::kLast, logits));
    next = argmax(logits);
  }
  const double decode_seconds = seconds_since(start);
  r.decode_tokens_per_second = o.decode_tokens / decode_seconds;
  r.decode_outside_linear_fraction = 1.0 - static_cast<double>(ex.linear_busy_ns()) * 1e-9 / decode_seconds;

  auto mem = LINNET_TRY(read_resident_memory());
  r.peak_resident_bytes = mem.peak_bytes;
  r.memory_budget_bytes = static_cast<std::size_t>(r.bundle_weight_bytes) + r.arena_bytes + (std::size_t{64} << 20);
  r.bytes_per_decoded_token =
      bytes_per_token(*m.bundle, ex, o.long_prompt + o.decode_tokens / 2, kv_cache_row_bytes(o.executor.kv_cache, hp.head_dim));

  // Bandwidth last, with the model still loaded (same conditions), after the peak is read.
  say("memory bandwidth");
  auto pool = LINNET_TRY(kernels::ThreadPool::create(o.executor.threads));
  BandwidthOptions bo;
  bo.buffer_bytes = o.bandwidth_buffer_bytes;
  const BandwidthResult bw = LINNET_TRY(measure_read_bandwidth(pool, bo));
  r.measured_bandwidth_bytes_per_second = bw.bytes_per_second;
  r.median_bandwidth_bytes_per_second = bw.median_bytes_per_second;
  r.bandwidth_passes = bw.passes;
  r.achieved_bandwidth_bytes_per_second = r.bytes_per_decoded_token * r.decode_tokens_per_second;
  r.bandwidth_fraction = r.achieved_bandwidth_bytes_per_second / r.measured_bandwidth_bytes_per_second;

  for (const BoardProfile& b : kBoards) {
    if (b.bandwidth_gbps <= 0) continue;
    BoardProjection p;
    p.board = std::string(b.name);
    p.bandwidth_gbps = b.bandwidth_gbps;
    p.ceiling_tokens_per_second = b.bandwidth_gbps * 1e9 / r.bytes_per_decoded_token;
    p.projected_tokens_per_second = p.ceiling_tokens_per_second * std::min(1.0, r.bandwidth_fraction);
    r.boards.push_back(p);
  }
  return r;
}

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

double mib(std::size_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); }

}  // namespace

std::string format_text(const BenchReport& r) {
  std::string s;
  s += "linnet bench " + r.bundle_path + " (" + r.quantization + ", " + std::to_string(r.layers) + " layers, D " +
       std::to_string(r.hidden_size) + ", " + fmt("%.1f MiB", mib(r.bundle_file_bytes)) + ")\n";
  s += "  date " + r.date + ", threads " + std::to_string(r.threads) + ", context " + std::to_string(r.context_length) +
       ", cpu " + r.cpu + "\n";
  s += "  linear layers       " + r.linear_backend + "\n";
  s += "  other kernels       " + r.kernels + "\n";
  if (r.first_load_seconds > 0)
    s += "  first load          " + fmt("%.2f s", r.first_load_seconds) +
         (r.first_load_packed ? " (packed the weights into the cache file)\n" : " (nothing written beside the bundle)\n");
  s += "  load                " + fmt("%.2f s", r.load_seconds) + "\n";
  s += "  verify (SHA-256)    " + fmt("%.2f s", r.verify_seconds) + " (added to a load unless --skip-verify)\n";
  s += "  prefill 128         " + fmt("%.1f tokens/s", r.prefill_short_tokens_per_second) + " (time to first token " +
       fmt("%.0f ms)\n", r.ttft_short_seconds * 1e3);
  const std::string long_prompt = std::to_string(r.long_prompt_tokens);
  s += "  prefill " + long_prompt + std::string(long_prompt.size() < 12 ? 12 - long_prompt.size() : 1, ' ') +
       fmt("%.1f tokens/s", r.prefill_long_tokens_per_second) + " (time to first token " +
       fmt("%.0f ms)\n", r.ttft_long_seconds * 1e3);
  s += "  outside linear      " + fmt("%.1f%% of the ", 100.0 * r.prefill_long_outside_linear_fraction) + long_prompt +
       "-token prefill\n";
  s += "  decode              " + fmt("%.2f tokens/s", r.decode_tokens_per_second) + " (" +
       std::to_string(r.decode_tokens) + " tokens after " + long_prompt + "; " +
       fmt("%.1f%% outside the linear layers)\n", 100.0 * r.decode_outside_linear_fraction);
  s += "  bytes per token     " + fmt("%.1f MiB", r.bytes_per_decoded_token / (1024.0 * 1024.0)) + "\n";
  s += "  bandwidth           " + fmt("%.2f GB/s achieved", r.achieved_bandwidth_bytes_per_second * 1e-9) + " of " +
       fmt("%.2f GB/s measured", r.measured_bandwidth_bytes_per_second * 1e-9) + " = " +
       fmt("%.1f%%", 100.0 * r.bandwidth_fraction) + " (best of " + std::to_string(r.bandwidth_passes) +
       " read passes; median " + fmt("%.2f GB/s)\n", r.median_bandwidth_bytes_per_second * 1e-9);
  s += "  peak resident       " + fmt("%.1f MiB", mib(r.peak_resident_bytes)) + " (budget weights " +
       fmt("%.1f", mib(r.bundle_weight_bytes)) + " + arena " + fmt("%.1f", mib(r.arena_bytes)) + " + 64 = " +
       fmt("%.1f MiB: ", mib(r.memory_budget_bytes)) +
       (r.peak_resident_bytes <= r.memory_budget_bytes ? "within" : "OVER") + ")" +
       (r.peak_reset_worked ? "" : " (peak includes the first load)") + "\n";
  s += "  packed weights      " + fmt("%.1f MiB", mib(r.packed_weight_bytes)) + ", arena " +
       fmt("%.1f MiB", mib(r.arena_bytes)) + " (KV cache " + fmt("%.1f MiB)\n", mib(r.kv_cache_bytes));
  for (const BoardProjection& p : r.boards) {
    s += "  board " + p.board + std::string(p.board.size() < 14 ? 14 - p.board.size() : 0, ' ') +
         fmt("%.1f tokens/s decode", p.projected_tokens_per_second) + " (ceiling " +
         fmt("%.1f at ", p.ceiling_tokens_per_second) + fmt("%.1f GB/s)\n", p.bandwidth_gbps);
  }
  return s;
}

std::string format_json(const BenchReport& r) {
  std::string s = "{\n";
  auto num = [&](const char* k, double v, bool last = false) {
    s += std::string("  \"") + k + "\": " + fmt("%.6g", v) + (last ? "\n" : ",\n");
  };
  auto str = [&](const char* k, const std::string& v) { s += std::string("  \"") + k + "\": " + json_quote(v) + ",\n"; };
  str("date", r.date);
  str("bundle", r.bundle_path);
  str("quantization", r.quantization);
  str("cpu", r.cpu);
  str("linear_backend", r.linear_backend);
  str("kernels", r.kernels);
  num("threads", r.threads);
  num("context_length", r.context_length);
  num("bundle_file_bytes", static_cast<double>(r.bundle_file_bytes));
  num("bundle_weight_bytes", static_cast<double>(r.bundle_weight_bytes));
  s += std::string("  \"first_load_packed\": ") + (r.first_load_packed ? "true" : "false") + ",\n";
  num("first_load_seconds", r.first_load_seconds);
  num("load_seconds", r.load_seconds);
  num("verify_seconds", r.verify_seconds);
  num("prefill_128_tokens_per_second", r.prefill_short_tokens_per_second);
  num("long_prompt_tokens", r.long_prompt_tokens);
  num("prefill_512_tokens_per_second", r.prefill_long_tokens_per_second);
  num("ttft_128_seconds", r.ttft_short_seconds);
  num("ttft_512_seconds", r.ttft_long_seconds);
  num("prefill_512_outside_linear_fraction", r.prefill_long_outside_linear_fraction);
  num("decode_tokens_per_second", r.decode_tokens_per_second);
  num("decode_outside_linear_fraction", r.decode_outside_linear_fraction);
  num("peak_resident_bytes", static_cast<double>(r.peak_resident_bytes));
  num("arena_bytes", static_cast<double>(r.arena_bytes));
  num("kv_cache_bytes", static_cast<double>(r.kv_cache_bytes));
  num("packed_weight_bytes", static_cast<double>(r.packed_weight_bytes));
  num("memory_budget_bytes", static_cast<double>(r.memory_budget_bytes));
  s += std::string("  \"peak_within_budget\": ") + (r.peak_resident_bytes <= r.memory_budget_bytes ? "true" : "false") + ",\n";
  num("bytes_per_decoded_token", r.bytes_per_decoded_token);
  num("measured_bandwidth_bytes_per_second", r.measured_bandwidth_bytes_per_second);
  num("median_bandwidth_bytes_per_second", r.median_bandwidth_bytes_per_second);
  num("bandwidth_passes", r.bandwidth_passes);
  num("achieved_bandwidth_bytes_per_second", r.achieved_bandwidth_bytes_per_second);
  num("bandwidth_fraction", r.bandwidth_fraction);
  s += "  \"boards\": [";
  for (std::size_t i = 0; i < r.boards.size(); ++i) {
    const BoardProjection& p = r.boards[i];
    s += (i ? ", " : "") + std::string("{\"board\": ") + json_quote(p.board) + ", \"bandwidth_gbps\": " +
         fmt("%.6g", p.bandwidth_gbps) + ", \"ceiling_tokens_per_second\": " + fmt("%.6g", p.ceiling_tokens_per_second) +
         ", \"projected_tokens_per_second\": " + fmt("%.6g", p.projected_tokens_per_second) + "}";
  }
  s += "]\n}\n";
  return s;
}

}  // namespace linnet::bench
