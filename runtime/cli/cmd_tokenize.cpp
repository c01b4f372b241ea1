// `linnet tokenize m.linnet [--no-special] [--text TEXT]`
//     text (stdin, or --text) -> the JSON list of token ids, e.g. [9707, 1879]
// `linnet tokenize m.linnet --decode [--skip-special] [--ids LIST]`
//     ids (stdin, or --ids) as a JSON list "[1, 2]" or comma-separated "1,2" -> the text
// Uses only the bundle's tokenizer (no weights are read). Stdin is taken byte for byte:
// `echo hi` also tokenizes the newline; use `printf` or --text to avoid it.
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/bundle/bundle.h"
#include "runtime/cli/cli_args.h"
#include "runtime/cli/commands.h"
#include "runtime/tokenizer/tokenizer.h"

namespace linnet::cli {
namespace {

Usage tokenize_usage() {
  return {"tokenize",
          "usage: linnet tokenize m.linnet [--no-special] [--text TEXT]       (text on stdin -> JSON ids)\n"
          "       linnet tokenize m.linnet --decode [--skip-special] [--ids LIST]  (ids on stdin -> text)\n"
          "  --no-special    special-token text such as <|im_end|> is tokenized as plain text\n"
          "  --skip-special  leave special tokens out of the decoded text\n"
          "  ids: a JSON list [1, 2, 3] or comma-separated 1,2,3\n"};
}

std::string read_stdin() {
  std::string all;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) all.append(buf, n);
  return all;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// "[1, 2, 3]" or "1,2,3" (whitespace anywhere between items). Empty list allowed.
std::optional<std::vector<TokenId>> parse_id_list(std::string_view s) {
  const auto trim = [](std::string_view v) {
    while (!v.empty() && is_space(v.front())) v.remove_prefix(1);
    while (!v.empty() && is_space(v.back())) v.remove_suffix(1);
    return v;
  };
  s = trim(s);
  if (!s.empty() && s.front() == '[') {
    if (s.back() != ']') return std::nullopt;
    s = trim(s.substr(1, s.size() - 2));
  }
  std::vector<TokenId> ids;
  if (s.empty()) return ids;
  while (true) {
    const std::size_t comma = s.find(',');
    const std::string_view item = trim(s.substr(0, comma));
    if (item.empty() || item.size() > 10) return std::nullopt;
    long long v = 0;
    for (char c : item) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    if (v > 0x7FFFFFFF) return std::nullopt;
    ids.push_back(static_cast<TokenId>(v));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return ids;
}

}  // namespace

int run_tokenize(Args args) {
  const Usage usage = tokenize_usage();
  if (wants_help(args)) return usage.help();
  std::string path;
  bool decode = false, parse_special = true, skip_special = false;
  std::optional<std::string> inline_input;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--decode") {
      decode = true;
    } else if (a == "--no-special") {
      parse_special = false;
    } else if (a == "--skip-special") {
      skip_special = true;
    } else if (a == "--text" || a == "--ids") {
      if (i + 1 >= args.size()) return usage.error(missing_value(a));
      inline_input = std::string(args[++i]);
    } else if (!a.starts_with("-") && path.empty()) {
      path = std::string(a);
    } else {
      return usage.error(unknown_argument(a));
    }
  }
  if (path.empty()) return usage.error("no bundle given");

  auto bundle = Bundle::open(path, {});
  if (!bundle.ok()) {
    std::fprintf(stderr, "linnet tokenize: %s\n", bundle.error().message().c_str());
    return 1;
  }
  auto tokenizer = Tokenizer::create(bundle->tokenizer());
  if (!tokenizer.ok()) {
    std::fprintf(stderr, "linnet tokenize: %s: %s\n", path.c_str(), tokenizer.error().message().c_str());
    return 1;
  }
  const std::string input = inline_input ? *inline_input : read_stdin();

  if (decode) {
    const auto ids = parse_id_list(input);
    if (!ids) {
      return usage.error("--decode wants a JSON list [1, 2] or comma-separated ids 1,2");
    }
    auto text = tokenizer->decode(*ids, DecodeOptions{.skip_special = skip_special});
    if (!text.ok()) {
      std::fprintf(stderr, "linnet tokenize: %s\n", text.error().message().c_str());
      return 1;
    }
    std::fwrite(text->data(), 1, text->size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }

  auto ids = tokenizer->encode(input, EncodeOptions{.parse_special = parse_special});
  if (!ids.ok()) {
    std::fprintf(stderr, "linnet tokenize: %s\n", ids.error().message().c_str());
    return 1;
  }
  std::string out = "[";
  for (std::size_t i = 0; i < ids->size(); ++i) {
    if (i) out += ", ";
    out += std::to_string((*ids)[i]);
  }
  out += "]\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace linnet::cli
