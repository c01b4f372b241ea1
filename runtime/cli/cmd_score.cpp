// `linnet score m.linnet (--ids 1,2,3 | --text TEXT) [--decode-from K] -o logits.safetensors
//                        [--threads N]`
// Writes the float32 logits of every position as the tensor `logits` [T, V] (safetensors,
// header written by hand: no JSON library on the device). Positions [0, K) come from one
// prefill, positions [K, T) from the decode path one token at a time; by default K = T
// (one prefill). For comparing Linnet with a reference implementation.
#include <cstdio>
#include <string>
#include <vector>

#include "runtime/cli/cli_args.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/session_setup.h"
#include "runtime/session/safetensors_writer.h"

namespace linnet::cli {
namespace {

Usage score_usage() {
  return {"score",
          "usage: linnet score m.linnet (--ids 1,2,3 | --text TEXT) [--decode-from K]\n"
          "                    -o logits.safetensors [--threads N]\n"};
}

bool parse_ids(std::string_view list, std::vector<TokenId>& ids) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    int id = 0;
    if (!parse_int(list.substr(0, comma), id)) return false;
    ids.push_back(id);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return !ids.empty();
}

}  // namespace

int run_score(Args args) {
  const Usage usage = score_usage();
  if (wants_help(args)) return usage.help();
  std::string bundle, output;
  std::vector<TokenId> ids;
  std::optional<std::string> text;
  int decode_from = -1;
  SessionOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const bool takes_value =
        a == "--ids" || a == "--text" || a == "--decode-from" || a == "-o" || a == "--output" || a == "--threads";
    if (takes_value && i + 1 >= args.size()) return usage.error(missing_value(a));
    if (a == "--ids") {
      if (!parse_ids(args[++i], ids)) {
        return usage.error("--ids wants comma-separated token ids (got '" + std::string(args[i]) + "')");
      }
    } else if (a == "--text") {
      text = std::string(args[++i]);
    } else if (a == "--decode-from") {
      if (auto problem = read_int(a, args[++i], 0, decode_from)) return usage.error(*problem);
    } else if (a == "-o" || a == "--output") {
      output = std::string(args[++i]);
    } else if (a == "--threads") {
      if (auto problem = read_int(a, args[++i], 1, options.executor.threads)) return usage.error(*problem);
    } else if (!a.empty() && a[0] != '-' && bundle.empty()) {
      bundle = std::string(a);
    } else {
      return usage.error(unknown_argument(a));
    }
  }
  if (bundle.empty()) return usage.error("no bundle given");
  if (output.empty()) return usage.error("-o logits.safetensors is required");
  if (ids.empty() == !text.has_value()) return usage.error("give one of --ids or --text");

  auto model = Model::open(bundle);
  if (!model.ok()) {
    std::fprintf(stderr, "linnet score: %s\n", model.error().message().c_str());
    return 1;
  }
  if (text) {
    auto encoded = (*model)->tokenizer().encode(*text);
    if (!encoded.ok()) {
      std::fprintf(stderr, "linnet score: %s\n", encoded.error().message().c_str());
      return 1;
    }
    ids = std::move(encoded).value();
    if (ids.empty()) {
      std::fprintf(stderr, "linnet score: the text has no tokens\n");
      return 1;
    }
  }
  const int T = static_cast<int>(ids.size());
  if (decode_from < 0) decode_from = T;
  if (decode_from > T) {
    std::fprintf(stderr, "linnet score: --decode-from %d is beyond the %d tokens\n", decode_from, T);
    return 2;
  }
  options.executor.context_length = T;
  auto session = Session::create(**model, options);
  if (!session.ok()) {
    std::fprintf(stderr, "linnet score: %s\n", session.error().message().c_str());
    return 1;
  }
  const std::size_t V = static_cast<std::size_t>((*model)->vocab_size());
  std::vector<float> logits(static_cast<std::size_t>(T) * V);
  Status scored = (*session)->score(ids, decode_from, logits);
  if (!scored.ok()) {
    std::fprintf(stderr, "linnet score: %s\n", scored.error().message().c_str());
    return 1;
  }
  const F32Tensor tensors[] = {{"logits", {T, static_cast<std::int64_t>(V)}, logits}};
  Status written = write_f32_safetensors(output, tensors);
  if (!written.ok()) {
    std::fprintf(stderr, "linnet score: %s\n", written.error().message().c_str());
    return 1;
  }
  std::fprintf(stderr, "linnet score: %d positions (%d prefill, %d decode) x %zu logits -> %s\n", T,
               decode_from, T - decode_from, V, output.c_str());
  return 0;
}

}  // namespace linnet::cli
