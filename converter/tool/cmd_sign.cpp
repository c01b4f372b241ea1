// `linnet-convert sign m.linnet --key vendor.key --version N -o update.lnu
//      [--name NAME] [--min-runtime X.Y.Z]
//      [--self-test-prompt TEXT [--self-test-system TEXT]
//       (--self-test-label LABEL | --self-test-tokens ID,ID,...)]`
// The signed update (docs/ota.md): the bundle is opened and fully verified first (a
// device would refuse anything else), then a manifest naming its size, SHA-256,
// content_sha256, the model name and version is signed with the vendor key.
#include <charconv>
#include <cstdio>
#include <string>

#include "runtime/bundle/bundle.h"
#include "converter/sign/update_writer.h"
#include "converter/tool/commands.h"
#include "runtime/ota/public_key.h"

namespace linnet::convert::tool {
namespace {

constexpr char kUsage[] =
    "usage: linnet-convert sign <bundle.linnet> --key vendor.key --version N -o update.lnu\n"
    "         [--name NAME] [--min-runtime X.Y.Z]\n"
    "         [--self-test-prompt TEXT [--self-test-system TEXT]\n"
    "          (--self-test-label LABEL | --self-test-tokens ID,ID,...)]\n";

bool parse_u64(std::string_view s, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool parse_ids(std::string_view s, std::vector<std::uint32_t>& out) {
  while (!s.empty()) {
    const std::size_t comma = s.find(',');
    const std::string_view part = s.substr(0, comma);
    std::uint32_t id = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), id);
    if (ec != std::errc() || end != part.data() + part.size() || part.empty()) return false;
    out.push_back(id);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return !out.empty();
}

// The last path component of the bundle's source model, or the bundle's file stem.
std::string default_name(const Bundle& bundle, const std::string& path) {
  std::string name(bundle.provenance().source_model);
  if (const auto slash = name.find_last_of('/'); slash != std::string::npos) name = name.substr(slash + 1);
  if (!ota::validate_model_name(name).ok()) {
    name = path.substr(path.find_last_of('/') + 1);
    if (const auto dot = name.rfind('.'); dot != std::string::npos && dot > 0) name = name.substr(0, dot);
  }
  return name;
}

// A usage error: what is wrong (naming the argument), then the usage; exit status 2.
int usage_error(const std::string& problem) {
  std::fprintf(stderr, "linnet-convert sign: %s\n%s", problem.c_str(), kUsage);
  return 2;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "linnet-convert: error: %s\n", message.c_str());
  return 1;
}

}  // namespace

int run_sign(Args args) {
  std::string bundle_path, key_path, out_path, name, prompt, label, system;
  std::uint64_t version = 0;
  bool have_version = false;
  sign::UpdateSpec spec;
  std::vector<std::uint32_t> ids;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    const bool takes_value = a == "--key" || a == "-o" || a == "--version" || a == "--name" || a == "--min-runtime" ||
                             a == "--self-test-prompt" || a == "--self-test-system" || a == "--self-test-label" ||
                             a == "--self-test-tokens";
    if (takes_value && !has_value) return usage_error(std::string(a) + " needs a value");
    if (a == "--key" && has_value) {
      key_path = std::string(args[++i]);
    } else if (a == "-o" && has_value) {
      out_path = std::string(args[++i]);
    } else if (a == "--version" && has_value) {
      if (!parse_u64(args[++i], version)) {
        return usage_error("--version wants a whole number (got '" + std::string(args[i]) + "')");
      }
      have_version = true;
    } else if (a == "--name" && has_value) {
      name = std::string(args[++i]);
    } else if (a == "--min-runtime" && has_value) {
      auto v = ota::RuntimeVersion::parse(args[++i]);
      if (!v.ok()) return fail(v.error().message());
      spec.min_runtime = *v;
    } else if (a == "--self-test-prompt" && has_value) {
      prompt = std::string(args[++i]);
    } else if (a == "--self-test-system" && has_value) {
      system = std::string(args[++i]);
    } else if (a == "--self-test-label" && has_value) {
      label = std::string(args[++i]);
    } else if (a == "--self-test-tokens" && has_value) {
      if (!parse_ids(args[++i], ids)) {
        return usage_error("--self-test-tokens wants ID,ID,... (got '" + std::string(args[i]) + "')");
      }
    } else if (!a.empty() && a[0] != '-' && bundle_path.empty()) {
      bundle_path = std::string(a);
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("unknown option " + std::string(a));
    } else {
      return usage_error("unexpected argument '" + std::string(a) + "'");
    }
  }
  if (bundle_path.empty()) return usage_error("no bundle given");
  if (key_path.empty()) return usage_error("--key vendor.key is required");
  if (out_path.empty()) return usage_error("-o update.lnu is required");
  if (!have_version) return usage_error("--version N is required");
  if (!prompt.empty() && label.empty() == ids.empty()) {
    std::fprintf(stderr, "a self-test needs exactly one of --self-test-label and --self-test-tokens\n%s", kUsage);
    return 2;
  }
  if (prompt.empty() && (!label.empty() || !ids.empty() || !system.empty())) {
    std::fprintf(stderr, "--self-test-label/--self-test-tokens/--self-test-system need --self-test-prompt\n%s", kUsage);
    return 2;
  }

  BundleOpenOptions open_options;
  open_options.verify_sha256 = true;
  auto bundle = Bundle::open(bundle_path, open_options);
  if (!bundle.ok()) return fail("refusing to sign " + bundle_path + ": " + bundle.error().message());
  auto key = sign::SigningKey::load(key_path);
  if (!key.ok()) return fail(key.error().message());

  spec.model_name = name.empty() ? default_name(*bundle, bundle_path) : name;
  if (auto valid = ota::validate_model_name(spec.model_name); !valid.ok()) {
    return fail(valid.error().message() + " (choose one with --name)");
  }
  spec.version = version;
  if (!prompt.empty()) spec.self_test = ota::SelfTest{prompt, label, ids, system};
  const auto content = bundle->content_sha256();
  if (content.size() == 32) {
    Sha256Digest d{};
    std::copy(content.begin(), content.end(), d.begin());
    spec.content_sha256 = d;
  }
  const std::uint64_t bundle_bytes = bundle->file_size();
  bundle = Error(ErrorCode::kCancelled, "closed");  // unmap before reading it again

  auto manifest = sign::write_update(bundle_path, spec, *key, out_path);
  if (!manifest.ok()) return fail(manifest.error().message());
  // Both hashes, each named (README "Model workflow"): the file's (sha256sum, `ota status`)
  // and the content hash (`linnet info`, the serial `info`).
  std::printf("signed %s v%llu (%llu bundle bytes, file sha256 %s, content sha256 %s) with key %s -> %s\n",
              manifest->model_name.c_str(), static_cast<unsigned long long>(manifest->version),
              static_cast<unsigned long long>(bundle_bytes), to_hex(manifest->bundle_sha256).c_str(),
              manifest->content_sha256 ? to_hex(*manifest->content_sha256).c_str() : "none",
              ota::short_key_id(key->key_id()).c_str(), out_path.c_str());
  return 0;
}

}  // namespace linnet::convert::tool
