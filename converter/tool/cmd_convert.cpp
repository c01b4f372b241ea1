// `linnet-convert [convert] <hf_dir> -o out.linnet --quant f32|f16|q8|q6|q4 [options]`
// `linnet-convert [convert] --synthetic config.json -o out.linnet --quant q4 [--seed N]`
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "converter/lib/convert.h"
#include "converter/lib/synthetic.h"
#include "converter/tool/commands.h"

#ifndef LINNET_VERSION
#define LINNET_VERSION "0"
#endif

namespace linnet::convert::tool {
namespace {

constexpr char kUsage[] =
    "usage: linnet-convert <hf_dir> -o model.linnet --quant f32|f16|q8|q6|q4 [--verbose] [--page-align]\n"
    "                      [--threads N] [--embed f32|f16|q8|q6|q4]\n"
    "       linnet-convert --synthetic config.json -o model.linnet --quant q4 [--seed N]\n";

int usage(const char* why) {
  std::fprintf(stderr, "linnet-convert: %s\n%s", why, kUsage);
  return 2;
}

// SOURCE_DATE_EPOCH (reproducible builds) fixes the creation time; else now.
std::uint64_t creation_time() {
  if (const char* e = std::getenv("SOURCE_DATE_EPOCH")) {
    std::uint64_t v = 0;
    const std::string_view s(e);
    if (std::from_chars(s.data(), s.data() + s.size(), v).ec == std::errc()) return v;
  }
  return static_cast<std::uint64_t>(std::time(nullptr));
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  return !s.empty() && std::from_chars(s.data(), s.data() + s.size(), out).ec == std::errc() &&
         std::from_chars(s.data(), s.data() + s.size(), out).ptr == s.data() + s.size();
}

}  // namespace

int run_convert(Args args) {
  std::string input, output, synthetic;
  std::string quant_name, embed_name;
  bool verbose = false, page_align = false;
  std::uint64_t seed = 0, threads = 2;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    auto next = [&]() -> std::string_view { return i + 1 < args.size() ? args[++i] : std::string_view(); };
    if (a == "-o" || a == "--output") {
      output = std::string(next());
    } else if (a == "--quant") {
      quant_name = std::string(next());
    } else if (a == "--embed") {
      embed_name = std::string(next());
    } else if (a == "--synthetic") {
      synthetic = std::string(next());
    } else if (a == "--seed") {
      if (!parse_u64(next(), seed)) return usage("--seed takes a non-negative integer");
    } else if (a == "--threads") {
      if (!parse_u64(next(), threads) || threads == 0 || threads > 64) return usage("--threads takes 1..64");
    } else if (a == "-v" || a == "--verbose") {
      verbose = true;
    } else if (a == "--page-align") {
      page_align = true;
    } else if (!a.empty() && a[0] == '-') {
      return usage(("unknown option " + std::string(a)).c_str());
    } else if (input.empty()) {
      input = std::string(a);
    } else {
      return usage(("unexpected argument " + std::string(a)).c_str());
    }
  }
  if (output.empty()) return usage("missing -o <output.linnet>");
  if (synthetic.empty() == input.empty()) return usage("give either a checkpoint directory or --synthetic config.json");
  if (quant_name.empty()) return usage("missing --quant f32|f16|q8|q6|q4");
  auto quant = parse_quant_mode(quant_name);
  if (!quant.ok()) return usage(quant.error().message().c_str());
  std::optional<QuantMode> embed;
  if (!embed_name.empty()) {
    auto e = parse_quant_mode(embed_name);
    if (!e.ok()) return usage(e.error().message().c_str());
    embed = *e;
  }

  const bool tty = ::isatty(STDERR_FILENO) != 0;
  auto note = [](std::string_view s) { std::printf("note: %.*s\n", static_cast<int>(s.size()), s.data()); };
  auto progress = [tty](std::size_t done, std::size_t total, std::string_view name) {
    if (!tty) return;
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %.*s", done, total, static_cast<int>(name.size()), name.data());
    if (done == total) std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  };
  const std::uint32_t alignment = page_align ? static_cast<std::uint32_t>(::sysconf(_SC_PAGESIZE)) : 64u;
  const std::string version = std::string("linnet-convert ") + LINNET_VERSION;

  Result<ConvertReport> report = Error(ErrorCode::kInternal, "not run");
  if (!synthetic.empty()) {
    SyntheticOptions o;
    o.config_path = synthetic;
    o.output = output;
    o.quant = *quant;
    o.embedding_quant = embed;
    o.seed = seed;
    o.threads = static_cast<int>(threads);
    o.data_alignment = alignment;
    o.created_unix_seconds = creation_time();
    o.converter_version = version;
    o.progress = progress;
    report = write_synthetic(o);
  } else {
    ConvertOptions o;
    o.hf_dir = input;
    o.output = output;
    o.quant = *quant;
    o.embedding_quant = embed;
    o.threads = static_cast<int>(threads);
    o.data_alignment = alignment;
    o.created_unix_seconds = creation_time();
    o.converter_version = version;
    o.note = note;
    o.progress = progress;
    report = convert_checkpoint(o);
  }
  if (!report.ok()) {
    if (tty) std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr, "linnet-convert: error: %s\n", report.error().message().c_str());
    return 1;
  }
  if (synthetic.empty()) std::fputs(format_error_summary(*report, verbose).c_str(), stdout);
  std::printf("wrote %s: %zu tensors, %.2f MiB, sha256 %s\n", output.c_str(), report->tensors.size(),
              static_cast<double>(report->file_size) / (1024.0 * 1024.0), to_hex(report->sha256).c_str());
  return 0;
}

}  // namespace linnet::convert::tool
