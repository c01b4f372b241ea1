// The CPU the tests run on has exactly the features the board profile says
// (boards/<board>.board: cpu_features). Under qemu this proves the emulated CPU model is
// the board's: the rpi4 run must not see a dot product, the rpi5 run must. On a real
// board it proves the binary was built for it. cpuinfo is what XNNPACK dispatches on, so
// it is the one checked; on aarch64 Linux it is cross-checked with getauxval(AT_HWCAP).
#include <cpuinfo.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "linnet/boards_generated.h"

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace {

const linnet::BoardProfile* build_board() {
  for (const linnet::BoardProfile& board : linnet::kBoards) {
    if (board.name == linnet::kBuildBoard) return &board;
  }
  return nullptr;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = text.find_first_not_of(' ', pos);
    if (start == std::string_view::npos) break;
    const size_t end = std::min(text.find(' ', start), text.size());
    words.emplace_back(text.substr(start, end - start));
    pos = end;
  }
  return words;
}

[[maybe_unused]] bool contains(const std::vector<std::string>& words, std::string_view word) {
  for (const std::string& w : words) {
    if (w == word) return true;
  }
  return false;
}

// Every feature name a board file may use in cpu_features.
constexpr std::string_view kKnownFeatures[] = {"asimd", "dotprod", "fp16", "i8mm", "bf16", "sve"};

// The Arm features a board file may list, as cpuinfo reports them.
struct ArmFeature {
  std::string_view name;
  bool (*detected)();
};

#if CPUINFO_ARCH_ARM64
constexpr ArmFeature kArmFeatures[] = {
    {"asimd", [] { return cpuinfo_has_arm_neon(); }},
    {"dotprod", [] { return cpuinfo_has_arm_neon_dot(); }},
    {"fp16", [] { return cpuinfo_has_arm_neon_fp16_arith(); }},
    {"i8mm", [] { return cpuinfo_has_arm_i8mm(); }},
    {"bf16", [] { return cpuinfo_has_arm_neon_bf16(); }},
    {"sve", [] { return cpuinfo_has_arm_sve(); }},
};
#endif

class CpuFeatures : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(cpuinfo_initialize()) << "cpuinfo failed to initialise"; }
};

TEST_F(CpuFeatures, CpuinfoSeesProcessors) {
  ASSERT_GE(cpuinfo_get_processors_count(), 1u);
  ASSERT_GE(cpuinfo_get_cores_count(), 1u);
  const cpuinfo_package* package = cpuinfo_get_package(0);
  ASSERT_NE(package, nullptr);
  std::printf("cpuinfo: %u processors, %u cores, package \"%s\"\n",
              cpuinfo_get_processors_count(), cpuinfo_get_cores_count(), package->name);
}

TEST_F(CpuFeatures, BoardProfileExists) {
  const linnet::BoardProfile* board = build_board();
  ASSERT_NE(board, nullptr) << "no boards/" << linnet::kBuildBoard << ".board in the table";
  EXPECT_GT(board->default_threads, 0);
  EXPECT_FALSE(board->serial_device.empty());
  EXPECT_FALSE(board->bandwidth_source.empty());
  for (const linnet::BoardProfile& any : linnet::kBoards) {
    for (const std::string& name : split_words(any.cpu_features)) {
      bool known = false;
      for (std::string_view k : kKnownFeatures) known = known || k == name;
      EXPECT_TRUE(known) << "boards/" << any.name << ".board lists unknown feature " << name;
    }
  }
  std::printf("board %.*s: cpu %.*s, qemu model \"%.*s\", features \"%.*s\"\n",
              static_cast<int>(board->name.size()), board->name.data(),
              static_cast<int>(board->cpu.size()), board->cpu.data(),
              static_cast<int>(board->qemu_cpu.size()), board->qemu_cpu.data(),
              static_cast<int>(board->cpu_features.size()), board->cpu_features.data());
}

#if CPUINFO_ARCH_ARM64
TEST_F(CpuFeatures, MatchTheBoardProfile) {
  const linnet::BoardProfile* board = build_board();
  ASSERT_NE(board, nullptr);
  const std::vector<std::string> listed = split_words(board->cpu_features);
  std::string seen;
  for (const ArmFeature& f : kArmFeatures) {
    const bool has = f.detected();
    seen += std::string(f.name) + (has ? "=yes " : "=no ");
    if (listed.empty()) continue;  // the host profile makes no claim about its CPU
    EXPECT_EQ(has, contains(listed, f.name))
        << f.name << ": the CPU " << (has ? "has" : "lacks") << " it but boards/" << board->name
        << ".board says otherwise";
  }
  std::printf("arm64 features: %s\n", seen.c_str());
}
#endif

#if defined(__aarch64__) && defined(__linux__)
// The kernel's (or qemu's) hardware capability bits are the ground truth cpuinfo reads.
TEST_F(CpuFeatures, CpuinfoAgreesWithHwcap) {
  const unsigned long hwcap = getauxval(AT_HWCAP);
  const unsigned long hwcap2 = getauxval(AT_HWCAP2);
  EXPECT_EQ((hwcap & HWCAP_ASIMD) != 0, cpuinfo_has_arm_neon());
  EXPECT_EQ((hwcap & HWCAP_ASIMDDP) != 0, cpuinfo_has_arm_neon_dot());
  EXPECT_EQ((hwcap & HWCAP_ASIMDHP) != 0, cpuinfo_has_arm_neon_fp16_arith());
  EXPECT_EQ((hwcap2 & HWCAP2_I8MM) != 0, cpuinfo_has_arm_i8mm());
  EXPECT_EQ((hwcap & HWCAP_SVE) != 0, cpuinfo_has_arm_sve());
  std::printf("AT_HWCAP 0x%lx AT_HWCAP2 0x%lx\n", hwcap, hwcap2);
}
#endif

#if CPUINFO_ARCH_X86_64
TEST_F(CpuFeatures, X86BaselineAndReport) {
  // x86-64 guarantees SSE2; anything less means cpuinfo misread the CPU.
  EXPECT_TRUE(cpuinfo_has_x86_sse2());
  std::printf("x86-64 features: avx2=%d fma3=%d avx512f=%d avxvnni=%d\n", cpuinfo_has_x86_avx2(),
              cpuinfo_has_x86_fma3(), cpuinfo_has_x86_avx512f(), cpuinfo_has_x86_avxvnni());
}
#endif

}  // namespace
