// `linnet bench`: how fast a bundle runs on this machine, and how close to the memory
// bandwidth limit decoding gets. One run measures, in this order:
//   load        Bundle::open + Executor::create (a first load packs XNNPACK's weights into
//               the cache file and is reported apart; the measured load maps it)
//   verify      the bundle's SHA-256 against its recorded hash, timed apart: what
//               serve/classify/run add to a load unless --skip-verify (a mismatch fails
//               the bench)
//   prefill     tokens/s for a 128-token and a 512-token prompt (fresh state each); the time
//               to first token is the prompt's prefill time (logits of its last position).
//               The long prompt's length can be changed (`--prompt N`, long_prompt_tokens in
//               the report); the *_512_* JSON keys then mean that prompt.
//   decode      tokens/s over 64 greedy tokens after the long prompt
//   memory      peak resident memory (VmHWM) against bundle weights + arena + 64 MiB
//   bandwidth   this machine's read bandwidth with the same threads, measured last; bytes
//               read per decoded token; achieved bandwidth as a fraction of it
//   linear      share of the 512-token prefill (and of decode) spent outside the linear layers
//   boards      decode tokens/s projected for each board profile from its bandwidth
// Token ids are random (seeded): speed does not depend on them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/model/executor_options.h"
#include "runtime/model/memory_plan.h"

namespace linnet::bench {

struct BenchOptions {
  std::string bundle_path;
  // The executor's options, passed down whole (each default in
  // runtime/model/executor_options.h); packed_weights_cache empty: "<bundle>.xnnpack";
  // weights_identity and log are set by the bench.
  ExecutorOptions executor;
  int short_prompt = 128;
  int long_prompt = 512;
  int decode_tokens = 64;
  std::size_t bandwidth_buffer_bytes = std::size_t{256} << 20;
  bool verbose = true;  // progress lines on stderr
};

struct BoardProjection {
  std::string board;
  double bandwidth_gbps = 0;
  double ceiling_tokens_per_second = 0;    // bandwidth / bytes per token
  double projected_tokens_per_second = 0;  // ceiling x this run's bandwidth fraction
};

struct BenchReport {
  // model
  std::string bundle_path, quantization, linear_backend, kernels;
  int layers = 0, hidden_size = 0, threads = 0, context_length = 0;
  std::uint64_t bundle_file_bytes = 0, bundle_weight_bytes = 0;
  // load
  bool first_load_packed = false;
  double first_load_seconds = 0;  // only when it packed
  double load_seconds = 0;
  double verify_seconds = 0;  // SHA-256 of the whole file (Bundle::verify_sha256)
  // prefill / decode
  double prefill_short_tokens_per_second = 0, prefill_long_tokens_per_second = 0;
  double ttft_short_seconds = 0, ttft_long_seconds = 0;
  double decode_tokens_per_second = 0;
  int long_prompt_tokens = 512, decode_tokens = 64;
  double prefill_long_outside_linear_fraction = 0;
  double decode_outside_linear_fraction = 0;
  // memory
  std::size_t peak_resident_bytes = 0, arena_bytes = 0, packed_weight_bytes = 0;
  std::size_t kv_cache_bytes = 0;  // the arena's KV cache region (context_length rows)
  std::size_t memory_budget_bytes = 0;  // bundle weights + arena + 64 MiB
  bool peak_reset_worked = false;
  // bandwidth
  double bytes_per_decoded_token = 0;
  double measured_bandwidth_bytes_per_second = 0;  // best pass
  double median_bandwidth_bytes_per_second = 0;
  int bandwidth_passes = 0;
  double achieved_bandwidth_bytes_per_second = 0;
  double bandwidth_fraction = 0;
  std::vector<BoardProjection> boards;
  std::string date;  // UTC, ISO 8601
  std::string cpu;   // this machine's CPU features summary
};

Result<BenchReport> run_bench(const BenchOptions& options);

std::string format_text(const BenchReport& report);
std::string format_json(const BenchReport& report);

}  // namespace linnet::bench
