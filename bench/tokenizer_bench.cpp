// Tokenizer throughput: 1 MiB of mixed-script text (the strings of tokenizer_cases.json,
// shuffled and concatenated) encoded, decoded and stream-decoded; prints seconds and MB/s.
//   tokenizer_bench [hf_tokenizer_dir] [megabytes]
// Not a ctest test: a figure to read (issue 4 asks for well under a second per MB).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <ctime>

#include <nlohmann/json.hpp>

#include "converter/lib/tokenizer_json.h"
#include "runtime/tokenizer/stream_decoder.h"
#include "runtime/tokenizer/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU time of this thread: the figure that does not depend on what else the (shared)
// machine is running.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace linnet;
  const std::string dir = argc > 1 ? argv[1] : std::string(LINNET_SHARED_DIR) + "/models/qwen35-tiny-a";
  const double megabytes = argc > 2 ? std::atof(argv[2]) : 1.0;

  auto data = convert::read_tokenizer_files(dir);
  if (!data.ok()) {
    std::fprintf(stderr, "tokenizer_bench: %s\n", data.error().message().c_str());
    return 1;
  }
  auto tokenizer = Tokenizer::create(data->view());
  if (!tokenizer.ok()) {
    std::fprintf(stderr, "tokenizer_bench: %s\n", tokenizer.error().message().c_str());
    return 1;
  }

  std::ifstream in(dir + "/tokenizer_cases.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto root = nlohmann::json::parse(ss.str(), nullptr, false);
  if (root.is_discarded() || !root.contains("cases")) {
    std::fprintf(stderr, "tokenizer_bench: cannot read %s/tokenizer_cases.json\n", dir.c_str());
    return 1;
  }
  std::vector<std::string> strings;
  for (const auto& c : root["cases"]) strings.push_back(c["text"].get<std::string>());

  // Deterministic mix: shuffled case strings joined by a space or a newline.
  const auto target = static_cast<std::size_t>(megabytes * 1024 * 1024);
  std::mt19937 rng(12345);
  std::string text;
  text.reserve(target + 256);
  while (text.size() < target) {
    std::shuffle(strings.begin(), strings.end(), rng);
    for (const std::string& s : strings) {
      text += s;
      text += (rng() % 8 == 0) ? '\n' : ' ';
      if (text.size() >= target) break;
    }
  }
  const double mb = static_cast<double>(text.size()) / 1e6;

  double best_encode = 1e30, best_encode_cpu = 1e30;
  std::vector<TokenId> ids;
  for (int run = 0; run < 5; ++run) {
    const double c0 = thread_cpu_seconds();
    const auto t0 = Clock::now();
    auto r = tokenizer->encode(text);
    const double s = seconds_since(t0);
    best_encode_cpu = std::min(best_encode_cpu, thread_cpu_seconds() - c0);
    if (!r.ok()) {
      std::fprintf(stderr, "tokenizer_bench: encode failed: %s\n", r.error().message().c_str());
      return 1;
    }
    ids = std::move(r).value();
    best_encode = std::min(best_encode, s);
  }

  double best_decode = 1e30;
  std::size_t decoded_bytes = 0;
  for (int run = 0; run < 5; ++run) {
    const auto t0 = Clock::now();
    auto r = tokenizer->decode(ids);
    best_decode = std::min(best_decode, seconds_since(t0));
    decoded_bytes = r.ok() ? r->size() : 0;
  }

  // Streaming, one token at a time, as generation does.
  double best_stream = 1e30;
  for (int run = 0; run < 5; ++run) {
    std::string out;
    out.reserve(text.size() + 64);
    StreamDecoder decoder(*tokenizer);
    const auto t0 = Clock::now();
    for (TokenId id : ids) (void)decoder.push(id, out);
    decoder.finish(out);
    best_stream = std::min(best_stream, seconds_since(t0));
  }

  std::printf("text: %.3f MB (%zu bytes, %zu case strings), %zu tokens, vocab %zu, merges %zu\n", mb, text.size(),
              strings.size(), ids.size(), tokenizer->vocab_size(), data->merge_left.size());
  std::printf("encode:        %.4f s  %.1f MB/s  (best of 5, wall clock)\n", best_encode, mb / best_encode);
  std::printf("encode (cpu):  %.4f s  %.1f MB/s  (best of 5, thread CPU time)\n", best_encode_cpu,
              mb / best_encode_cpu);
  std::printf("decode:        %.4f s  %.1f MB/s  (%zu bytes out)\n", best_decode, mb / best_decode, decoded_bytes);
  std::printf("stream decode: %.4f s  %.1f MB/s  (%.0f ns/token)\n", best_stream, mb / best_stream,
              best_stream * 1e9 / static_cast<double>(ids.size()));
  return 0;
}
