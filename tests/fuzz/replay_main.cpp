// Runs a fuzz target without libFuzzer: every file named on the command line (or found in
// a directory named there), then a fixed set of pseudo-random inputs. Used by the gcc
// builds so each fuzz target's code compiles with the project's warnings and its seeds run
// under ASan/UBSan (host-asan) and under qemu (the boards). A crash or sanitizer report
// fails the test; the input that caused it is printed first.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

constexpr int kRandomInputs = 256;
constexpr std::size_t kMaxRandomSize = 4096;

bool read_file(const std::filesystem::path& path, std::vector<std::uint8_t>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

void run_one(const std::string& label, const std::vector<std::uint8_t>& input) {
  // Printed before the call, so the last line before a crash names the input.
  std::fprintf(stderr, "replay: %s (%zu bytes)\n", label.c_str(), input.size());
  LLVMFuzzerTestOneInput(input.data(), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::size_t files = 0;
  std::vector<std::uint8_t> input;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::vector<std::filesystem::path> paths;
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg, ec)) {
        if (entry.is_regular_file()) paths.push_back(entry.path());
      }
    } else {
      paths.push_back(arg);
    }
    for (const auto& path : paths) {
      if (!read_file(path, &input)) {
        std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
        return 1;
      }
      run_one(path.string(), input);
      ++files;
    }
  }
  // Fixed seed: the same inputs on every run and every machine.
  std::mt19937 rng(20240611u);
  std::uniform_int_distribution<std::size_t> size_dist(0, kMaxRandomSize);
  std::uniform_int_distribution<int> byte_dist(0, 255);
  run_one("empty", {});
  for (int i = 0; i < kRandomInputs; ++i) {
    input.resize(size_dist(rng));
    for (auto& b : input) b = static_cast<std::uint8_t>(byte_dist(rng));
    run_one("random #" + std::to_string(i), input);
  }
  std::printf("replayed %zu files and %d generated inputs\n", files, kRandomInputs + 1);
  return 0;
}
