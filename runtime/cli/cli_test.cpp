// `linnet` as a user runs it, for what the messages say: each subcommand names a bad
// argument; --help and `help CMD` print the usage and exit 0; `classify --jsonl` takes the
// labels from each line; a prompt longer than the context is said once with --context;
// `run --stats` puts its stats on a line of their own with the serial protocol's stop
// reason; `info` names the content hash, prints ISO 8601 times and tells the truth about
// the signature slot; `linnet-convert sign` and `ota status` name the file hash; `ota
// rollback` refuses to undo a rollback without --force.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/bundle/bundle.h"
#include "runtime/bundle/bundle_generated.h"
#include "converter/sign/signing_key.h"
#include "runtime/ota/public_key.h"
#include "runtime/serve/request.h"
#include "runtime/session/testing/tiny_model.h"

namespace linnet::cli {
namespace {

namespace fs = std::filesystem;

struct Outcome {  // exit code and the two streams of one run
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// `text` has `prefix` followed by an ISO 8601 UTC time, "2026-12-07T10:33:31Z" (std::regex
// draws a false -Wmaybe-uninitialized from gcc 14 under the sanitizers).
bool has_iso_time_after(const std::string& text, const std::string& prefix) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  for (std::size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1)) {
    const std::size_t start = at + prefix.size();
    if (text.size() < start + kShape.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < kShape.size() && ok; ++i) {
      const char c = text[start + i];
      ok = kShape[i] == 'd' ? c >= '0' && c <= '9' : c == kShape[i];
    }
    if (ok) return true;
  }
  return false;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    bundle_ = testing::tiny_bundle_path("f32");
    ASSERT_FALSE(bundle_.empty());
    dir_ = fs::temp_directory_path() / ("linnet-cli-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs `binary args` (args as shell text) with stdout and stderr in files.
  Outcome run_binary(const std::string& binary, const std::string& args, const std::string& stdin_file = "") const {
    std::string cmd = binary + " " + args + " >" + (dir_ / "stdout").string() + " 2>" + (dir_ / "stderr").string();
    if (!stdin_file.empty()) cmd += " <" + stdin_file;
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir_ / "stdout"), slurp(dir_ / "stderr")};
  }
  Outcome linnet(const std::string& args, const std::string& stdin_file = "") const {
    return run_binary(LINNET_BINARY, args, stdin_file);
  }
  Outcome convert(const std::string& args) const { return run_binary(LINNET_CONVERT_BINARY, args); }

  std::string bundle_;
  fs::path dir_;
};

TEST_F(Cli, EveryCommandNamesAnUnknownOption) {
  const std::string b = bundle_;
  for (const std::string& args :
       {"classify " + b + " --label SAFE hi", "run " + b + " --prompt hi --label x", "bench " + b + " --label x",
        "chat " + b + " --label x", "info " + b + " --label x", "score " + b + " --ids 1 -o x --label x",
        "tokenize " + b + " --label x", "serve " + b + " --stdio --label x",
        "ota status --store " + dir_.string() + " --label x"}) {
    const Outcome r = linnet(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_NE(r.err.find("unknown option --label\n"), std::string::npos) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("usage: linnet "), std::string::npos) << args << "\n" << r.err;
  }
  const Outcome stray = linnet("run " + b + " --prompt hi stray");
  EXPECT_EQ(stray.code, 2);
  EXPECT_NE(stray.err.find("unexpected argument 'stray'"), std::string::npos) << stray.err;
}

TEST_F(Cli, BadValuesAreNamedWithWhatWasGiven) {
  const std::string b = bundle_;
  const struct {
    std::string args, message;
  } cases[] = {
      {"run " + b + " --prompt hi --threads 0", "linnet run: --threads must be at least 1 (got 0)"},
      {"classify " + b + " --labels A,B --threads 0 hi", "linnet classify: --threads must be at least 1 (got 0)"},
      {"bench " + b + " --threads 0", "linnet bench: --threads must be at least 1 (got 0)"},
      {"info " + b + " --threads 0", "linnet info: --threads must be at least 1 (got 0)"},
      {"serve " + b + " --stdio --threads 0", "linnet serve: --threads must be at least 1 (got 0)"},
      {"classify " + b + " --labels A,B --context lots hi", "--context wants a whole number (got 'lots')"},
      {"run " + b + " --prompt hi --temperature warm", "--temperature wants a number (got 'warm')"},
      {"run " + b + " --prompt hi --max-tokens", "--max-tokens needs a value"},
      {"run " + b + " --prompt hi --kv-cache f8", "--kv-cache wants f16, int8 or f32 (got 'f8')"},
      {"bench " + b + " --linear fast", "--linear wants linnet, xnnpack or reference (got 'fast')"},
      {"classify " + b + " --labels A,,B hi", "--labels has an empty label"},
      {"classify " + b + " hi", "linnet classify: --labels is required"},
      {"ota rollback --store " + dir_.string() + " --pubkey k --wait -1", "--wait must be at least 0 (got -1)"},
  };
  for (const auto& c : cases) {
    const Outcome r = linnet(c.args);
    EXPECT_EQ(r.code, 2) << c.args;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
  }
}

TEST_F(Cli, HelpPrintsTheCommandsUsageAndExitsZero) {
  for (const std::string command :
       {"bench", "chat", "classify", "info", "ota", "run", "score", "serve", "tokenize"}) {
    const Outcome flag = linnet(command + " --help");
    EXPECT_EQ(flag.code, 0) << command << "\n" << flag.err;
    EXPECT_EQ(flag.out.rfind("usage: linnet " + command, 0), 0u) << command << "\n" << flag.out;
    EXPECT_EQ(flag.err, "") << command;
    const Outcome short_flag = linnet(command + " " + bundle_ + " -h");
    EXPECT_EQ(short_flag.code, 0) << command;
    EXPECT_EQ(short_flag.out, flag.out) << command;
    const Outcome help = linnet("help " + command);
    EXPECT_EQ(help.code, 0) << command;
    EXPECT_EQ(help.out, flag.out) << command;
  }
  const Outcome list = linnet("--help");
  EXPECT_EQ(list.code, 0);
  EXPECT_NE(list.out.find("classify"), std::string::npos);
  EXPECT_EQ(linnet("help frobnicate").code, 2);
}

TEST_F(Cli, ClassifyJsonlTakesEachLinesLabelsWithoutTheFlag) {
  const fs::path requests = dir_ / "requests.jsonl";
  spit(requests,
       "{\"id\":1,\"text\":\"Eve you are a worthless idiot\",\"labels\":[\"SAFE\",\"SPAM\",\"ABUSE\"]}\n"
       "{\"id\":2,\"text\":\"I was charged twice\",\"labels\":[\"BILLING\",\"TECH\"]}\n"
       "{\"id\":3,\"text\":\"no labels here\"}\n");
  const Outcome r = linnet("classify " + bundle_ + " --jsonl", requests.string());
  EXPECT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines;
  for (std::size_t start = 0, nl; (nl = r.out.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(r.out.substr(start, nl - start));
  }
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_NE(lines[0].find("\"id\":1,\"label\":"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("\"ABUSE\":"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("\"BILLING\":"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("\"error\":\"no labels (give --labels or \\\"labels\\\")\""), std::string::npos) << lines[2];
}

// One table through both front ends of the classify request parser: each case is the
// fields of one request, sent as a serial `classify` line (parse_request) and as a line of
// `linnet classify --jsonl` (no --labels, so each line's own rule decides). Both accept or
// both refuse it. The CLI used to accept one label, labels over 256 bytes and unknown
// fields; it now takes the serial rules (docs/classify.md).
TEST_F(Cli, ClassifyJsonlAndTheSerialClassifyTakeTheSameRequests) {
  std::string many_labels = "[";
  for (int i = 0; i < 65; ++i) many_labels += (i ? ",\"l" : "\"l") + std::to_string(i) + "\"";
  many_labels += "]";
  const std::string long_label = "[\"a\",\"" + std::string(257, 'x') + "\"]";
  const std::string max_label = "[\"a\",\"" + std::string(256, 'x') + "\"]";
  struct Case {
    std::string fields;
    bool accepted;
  };
  const std::vector<Case> cases = {
      {R"("text":"hi","labels":["SAFE","SPAM"])", true},
      {R"("text":"hi","labels":["SAFE","SPAM"],"system":"Moderate.")", true},
      {R"("text":"caf\u00e9","labels":["caf)" "\xC3\xA9" R"(",")" "\xE6\x97\xA5\xE6\x9C\xAC" R"("])", true},
      {R"("text":"hi","labels":)" + max_label, true},
      {R"("labels":["SAFE","SPAM"])", false},                       // no text
      {R"("text":3,"labels":["SAFE","SPAM"])", false},              // text not a string
      {R"("text":"hi","labels":["SAFE"])", false},                  // one label
      {R"("text":"hi","labels":[])", false},                        // none
      {R"("text":"hi","labels":["a","a"])", false},                 // twice
      {R"("text":"hi","labels":["a",""])", false},                  // empty
      {R"("text":"hi","labels":"a,b")", false},                     // not an array
      {R"("text":"hi","labels":["a",2])", false},                   // not strings
      {R"("text":"hi","labels":)" + many_labels, false},            // 65 labels
      {R"("text":"hi","labels":)" + long_label, false},             // a 257-byte label
      {R"("text":"hi","labels":["a","b"],"system":5)", false},      // system not a string
      {R"("text":"hi","labels":["a","b"],"lables":["c","d"])", false},  // unknown field
  };
  std::string lines;
  for (const Case& c : cases) {
    const std::string serial = R"({"id":1,"cmd":"classify",)" + c.fields + "}";
    const serve::ParsedLine parsed = serve::parse_request(serial, serve::ParseLimits{});
    EXPECT_EQ(std::holds_alternative<serve::Request>(parsed), c.accepted) << "serial: " << c.fields;
    lines += "{" + c.fields + "}\n";
  }
  const fs::path requests = dir_ / "rules.jsonl";
  spit(requests, lines);
  const Outcome r = linnet("classify " + bundle_ + " --jsonl", requests.string());
  std::vector<std::string> out;
  for (std::size_t start = 0, nl; (nl = r.out.find('\n', start)) != std::string::npos; start = nl + 1) {
    out.push_back(r.out.substr(start, nl - start));
  }
  ASSERT_EQ(out.size(), cases.size()) << r.out << r.err;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const bool labelled = out[i].find("\"label\":") != std::string::npos;
    const bool refused = out[i].find("\"error\":") != std::string::npos;
    EXPECT_EQ(labelled, cases[i].accepted) << "cli: " << cases[i].fields << "\n" << out[i];
    EXPECT_EQ(refused, !cases[i].accepted) << "cli: " << cases[i].fields << "\n" << out[i];
  }
  // The refusals name the field in the same words.
  EXPECT_NE(out[4].find("missing field 'text'"), std::string::npos) << out[4];
  EXPECT_NE(out[15].find("unknown field 'lables'"), std::string::npos) << out[15];
}

TEST_F(Cli, APromptLongerThanTheContextIsSaidOnceWithContext) {
  const fs::path requests = dir_ / "long.jsonl";
  std::string text;
  for (int i = 0; i < 40; ++i) text += "word ";
  std::string lines;
  for (int i = 0; i < 3; ++i) lines += "{\"text\":\"" + text + "\"}\n";
  spit(requests, lines);
  const Outcome r = linnet("classify " + bundle_ + " --labels SAFE,SPAM --context 16 --jsonl", requests.string());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(count_of(r.out, "does not fit the context of 16"), 3u) << r.out;
  EXPECT_EQ(count_of(r.err, "give a larger --context N"), 1u) << r.err;

  const Outcome one = linnet("classify " + bundle_ + " --labels SAFE,SPAM --context 16 '" + text + "'");
  EXPECT_EQ(one.code, 1);
  EXPECT_EQ(count_of(one.err, "give a larger --context N"), 1u) << one.err;
  const Outcome gen = linnet("run " + bundle_ + " --context 16 --prompt '" + text + "'");
  EXPECT_EQ(gen.code, 1);
  EXPECT_EQ(count_of(gen.err, "give a larger --context N"), 1u) << gen.err;
}

// Both streams into one file, as `linnet run ... --stats > log 2>&1` does.
TEST_F(Cli, RunStatsStandOnTheirOwnLineWithTheProtocolsStopName) {
  const std::string cmd = std::string(LINNET_BINARY) + " run " + bundle_ +
                          " --prompt 'the the the' --max-tokens 4 --temperature 0 --stats > " +
                          (dir_ / "both").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string both = slurp(dir_ / "both");
  const std::size_t prompt_tokens = both.find(" prompt tokens in ");
  ASSERT_NE(prompt_tokens, std::string::npos) << both;
  const std::size_t stats = both.rfind('[', prompt_tokens);
  ASSERT_NE(stats, std::string::npos) << both;
  ASSERT_GT(stats, 0u) << both;
  EXPECT_EQ(both[stats - 1], '\n') << both;
  EXPECT_NE(both.find("stop: max_tokens]\n", stats), std::string::npos) << both;
  EXPECT_EQ(both.find("token_limit"), std::string::npos) << both;
}

TEST_F(Cli, InfoNamesTheContentHashAndPrintsIsoTimes) {
  const Outcome text = linnet("info " + bundle_);
  ASSERT_EQ(text.code, 0) << text.err;
  auto bundle = Bundle::open(bundle_, {});
  ASSERT_TRUE(bundle.ok());
  EXPECT_NE(text.out.find("content hash " + bundle->content_sha256_hex() + " (SHA-256 of the content"),
            std::string::npos)
      << text.out;
  EXPECT_TRUE(has_iso_time_after(text.out, "created ")) << text.out;
  EXPECT_EQ(text.out.find("(unix)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("signature    none (the slot is unused: all zero)"), std::string::npos) << text.out;
  const Outcome json = linnet("info " + bundle_ + " --json");
  EXPECT_NE(json.out.find("\"signature\":\"none\""), std::string::npos) << json.out.substr(0, 600);
  EXPECT_TRUE(has_iso_time_after(json.out, "\"created\":\"")) << json.out.substr(0, 600);
}

// Writes `signature` into a copy of the bundle's signature slot and sets signature_size.
fs::path with_signature(const std::string& bundle, const fs::path& out, const std::vector<std::uint8_t>& signature,
                        std::uint32_t size) {
  std::string bytes = slurp(bundle);
  auto* root = fb::GetMutableBundle(bytes.data());
  for (std::size_t i = 0; i < signature.size(); ++i) {
    root->mutable_signature()->Mutate(static_cast<flatbuffers::uoffset_t>(i), signature[i]);
  }
  root->mutate_signature_size(size);
  spit(out, bytes);
  return out;
}

TEST_F(Cli, InfoTellsTheTruthAboutTheSignatureSlot) {
  auto keys = sign::generate_key_pair();
  ASSERT_TRUE(keys.ok());
  auto other = sign::generate_key_pair();
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(sign::write_key_pair(*keys, (dir_ / "vendor").string(), false).ok());
  ASSERT_TRUE(sign::write_key_pair(*other, (dir_ / "other").string(), false).ok());
  auto key = sign::SigningKey::from_pem(keys->private_pem);
  ASSERT_TRUE(key.ok());
  auto bundle = Bundle::open(bundle_, {});
  ASSERT_TRUE(bundle.ok());
  Sha256Digest content{};
  std::copy(bundle->content_sha256().begin(), bundle->content_sha256().end(), content.begin());
  auto der = key->sign(content);
  ASSERT_TRUE(der.ok());
  const auto n = static_cast<std::uint32_t>(der->size());
  const fs::path signed_bundle = with_signature(bundle_, dir_ / "signed.linnet", *der, n);

  const Outcome unverified = linnet("info " + signed_bundle.string());
  ASSERT_EQ(unverified.code, 0) << unverified.err;
  EXPECT_NE(unverified.out.find("signature    " + std::to_string(n) + " bytes, not verified"), std::string::npos)
      << unverified.out;
  auto pub = ota::PublicKey::from_pem(keys->public_pem);
  ASSERT_TRUE(pub.ok());
  const Outcome verified = linnet("info " + signed_bundle.string() + " --pubkey " + (dir_ / "vendor.pub").string());
  ASSERT_EQ(verified.code, 0) << verified.err;
  EXPECT_NE(verified.out.find("signature    " + std::to_string(n) + " bytes, verified with key " +
                              ota::short_key_id(pub->key_id())),
            std::string::npos)
      << verified.out;
  const Outcome wrong_key = linnet("info " + signed_bundle.string() + " --pubkey " + (dir_ / "other.pub").string());
  EXPECT_EQ(wrong_key.code, 1);
  EXPECT_NE(wrong_key.err.find("signature"), std::string::npos) << wrong_key.err;
  const Outcome unsigned_with_key = linnet("info " + bundle_ + " --pubkey " + (dir_ / "vendor.pub").string());
  EXPECT_EQ(unsigned_with_key.code, 1);
  EXPECT_NE(unsigned_with_key.err.find("carries no signature"), std::string::npos) << unsigned_with_key.err;

  // The zero-filled slot with an edited size field (issue 16): not "signature 72 bytes".
  const fs::path edited = with_signature(bundle_, dir_ / "edited.linnet", {}, 72);
  const Outcome refused = linnet("info " + edited.string());
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("signature_size 72 but the slot does not start a DER signature"), std::string::npos)
      << refused.err;
  // A stray byte in the unused slot.
  const fs::path stray = with_signature(bundle_, dir_ / "stray.linnet", {0, 0, 0, 7}, 0);
  const Outcome stray_refused = linnet("info " + stray.string());
  EXPECT_EQ(stray_refused.code, 1);
  EXPECT_NE(stray_refused.err.find("signature slot byte 3 is 7, but signature_size is 0"), std::string::npos)
      << stray_refused.err;
}

TEST_F(Cli, OtaRollbackTwiceNeedsForce) {
  const std::string d = dir_.string();
  const std::string store = d + "/store", pub = d + "/vendor.pub";
  ASSERT_EQ(convert("keygen -o " + d + "/vendor").code, 0);
  for (int version : {1, 2}) {
    const Outcome s = convert("sign " + bundle_ + " --key " + d + "/vendor.key --version " + std::to_string(version) +
                          " --name tiny -o " + d + "/v" + std::to_string(version) + ".lnu");
    ASSERT_EQ(s.code, 0) << s.err;
    // sign names both hashes: the file's (as sha256sum computes it) and the content hash.
    ASSERT_EQ(std::system(("sha256sum " + bundle_ + " > " + d + "/file.sha256").c_str()), 0);
    const std::string file_sha = slurp(dir_ / "file.sha256").substr(0, 64);
    auto bundle = Bundle::open(bundle_, {});
    ASSERT_TRUE(bundle.ok());
    EXPECT_NE(s.out.find("file sha256 " + file_sha + ", content sha256 " + bundle->content_sha256_hex()),
              std::string::npos)
        << s.out;
    const Outcome i = linnet("ota install " + d + "/v" + std::to_string(version) + ".lnu --store " + store +
                         " --pubkey " + pub);
    ASSERT_EQ(i.code, 0) << i.err;
  }
  const Outcome first = linnet("ota rollback --store " + store + " --pubkey " + pub);
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.err.find("switching from tiny v2 (slot b) to tiny v1 (slot a)"), std::string::npos) << first.err;
  EXPECT_NE(first.out.find("rolled back to tiny v1"), std::string::npos) << first.out;

  const Outcome second = linnet("ota rollback --store " + store + " --pubkey " + pub);
  EXPECT_EQ(second.code, 1);
  EXPECT_NE(second.err.find("rollback refused: it would switch from tiny v1 (slot a) to the newer tiny v2 (slot b)"),
            std::string::npos)
      << second.err;
  EXPECT_NE(second.err.find("--force"), std::string::npos) << second.err;
  const Outcome still = linnet("ota status --store " + store + " --kv");
  EXPECT_NE(still.out.find("active_version=1\n"), std::string::npos) << still.out;

  const Outcome forced = linnet("ota rollback --store " + store + " --pubkey " + pub + " --force");
  EXPECT_EQ(forced.code, 0) << forced.err;
  const Outcome now = linnet("ota status --store " + store + " --kv");
  EXPECT_NE(now.out.find("active_version=2\n"), std::string::npos) << now.out;
  // The text status names the file hash as such.
  const Outcome text = linnet("ota status --store " + store);
  EXPECT_NE(text.out.find("file sha256 "), std::string::npos) << text.out;
}

}  // namespace
}  // namespace linnet::cli
