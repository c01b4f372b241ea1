// `linnet classify`, `run` and `serve --stdio` on a bundle whose final norm holds a NaN (storage bit
// rot), through the real binary: refused at load by the hash check (exit 1, "SHA-256
// mismatch"); with --skip-verify, exit 1 with a message naming the non-finite score, and
// no label on stdout. Before the checks the binary printed {"label":"SAFE",...} and exited 0.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "runtime/session/testing/tiny_model.h"

namespace {

namespace fs = std::filesystem;

struct Ran {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs the linnet binary with `args` (already shell-quoted) and `input` on stdin,
// capturing both streams.
Ran run_linnet(const std::string& args, const std::string& input = "") {
  const fs::path dir = fs::temp_directory_path();
  const std::string stem = "linnet-cli-test-" + std::to_string(::getpid());
  const fs::path in = dir / (stem + ".in");
  const fs::path out = dir / (stem + ".out");
  const fs::path err = dir / (stem + ".err");
  std::ofstream(in, std::ios::binary) << input;
  const std::string command = std::string("'") + LINNET_BINARY + "' " + args + " >'" + out.string() + "' 2>'" +
                              err.string() + "' <'" + in.string() + "'";
  const int status = std::system(command.c_str());
  Ran r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  fs::remove(in);
  fs::remove(out);
  fs::remove(err);
  return r;
}

TEST(CliDamagedBundle, ClassifyAndRunFailClosed) {
  const std::string damaged = linnet::testing::nan_norm_bundle_path();
  ASSERT_FALSE(damaged.empty());
  const std::string classify = "classify '" + damaged + "' --threads 1 --labels SAFE,SPAM,ABUSE 'hello there'";

  Ran r = run_linnet(classify);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("SHA-256 mismatch"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("label"), std::string::npos) << r.out;

  r = run_linnet(classify + " --skip-verify");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("is nan"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("label"), std::string::npos) << r.out;

  // --jsonl: every line gets an error, none a label, and the run exits 1.
  r = run_linnet("classify '" + damaged + "' --threads 1 --skip-verify --labels SAFE,SPAM --jsonl",
                 "{\"id\":1,\"text\":\"hello\"}\n{\"id\":2,\"text\":\"buy now\"}\n");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out.find("\"label\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("{\"line\":2,\"id\":2,\"error\""), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("not finite for 2 requests"), std::string::npos) << r.err;

  r = run_linnet("run '" + damaged + "' --threads 1 --skip-verify --max-tokens 4 --prompt hello");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("nan"), std::string::npos) << r.err;

  // `serve` without --store checks the hash too; with --skip-verify a serial classify
  // answers the "numeric" error, never a label.
  const std::string request = R"({"id":1,"cmd":"classify","text":"hello","labels":["SAFE","SPAM"]})"
                              "\n";
  r = run_linnet("serve '" + damaged + "' --stdio --threads 1", request);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("SHA-256 mismatch"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  r = run_linnet("serve '" + damaged + "' --stdio --threads 1 --skip-verify", request);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(R"("code":"numeric")"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(R"("label")"), std::string::npos) << r.out;

  // The intact bundle still classifies (the checks refuse only what is damaged).
  r = run_linnet("classify '" + linnet::testing::tiny_bundle_path() + "' --threads 1 --labels SAFE,SPAM 'hello'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"label\""), std::string::npos) << r.out;
}

}  // namespace
