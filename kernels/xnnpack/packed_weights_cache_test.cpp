// The packed-weights cache file: packed once, mapped on the next load with every operator
// found (no packing), identical outputs; a stale key, a corrupt file or an unwritable
// directory never break loading.
#include "kernels/xnnpack/packed_weights_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "kernels/xnnpack/test_weights.h"
#include "kernels/xnnpack/xnn_linear.h"

namespace linnet::kernels {
namespace {

namespace fs = std::filesystem;
using testing::make_weight;
using testing::OwnedWeight;

class PackedCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("linnet-pwc-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    weights_.push_back(make_weight(DType::kQ4, 96, 256, 1, "layers.0.mlp.up_proj.weight"));
    weights_.push_back(make_weight(DType::kQ8, 40, 96, 2, "layers.0.mlp.down_proj.weight"));
    weights_.push_back(make_weight(DType::kF32, 17, 64, 3, "layers.0.linear_attn.in_proj_b.weight"));
    weights_.push_back(make_weight(DType::kF16, 33, 64, 4, "layers.0.linear_attn.in_proj_a.weight"));
    x_.resize(3 * 256 + 16);
    std::mt19937 rng(9);
    std::normal_distribution<float> d;
    for (float& f : x_) f = d(rng);
  }
  void TearDown() override { fs::remove_all(dir_); }

  struct Loaded {
    std::unique_ptr<XnnLinearBackend> backend;
    std::vector<std::unique_ptr<LinearKernel>> kernels;
    std::vector<std::string> log;
  };

  Loaded load(const std::string& path, const std::string& identity = "bundle-a") {
    Loaded l;
    XnnLinearOptions o;
    o.max_rows = 3;
    o.max_in_features = 256;
    o.cache_path = path;
    o.weights_identity = identity;
    o.cache_reserve_bytes = std::size_t{64} << 20;
    auto* log = &l.log;
    o.log = [log](std::string_view m) { log->emplace_back(m); };
    auto b = XnnLinearBackend::create(o);
    EXPECT_TRUE(b.ok()) << b.error().message();
    l.backend = std::move(*b);
    for (auto& w : weights_) {
      auto k = l.backend->create_kernel(w.view);
      EXPECT_TRUE(k.ok()) << k.error().message();
      l.kernels.push_back(std::move(*k));
    }
    EXPECT_TRUE(l.backend->finish_loading().ok());
    return l;
  }

  std::vector<std::vector<float>> outputs(Loaded& l) {
    std::vector<std::vector<float>> out;
    for (std::size_t i = 0; i < weights_.size(); ++i) {
      std::vector<float> y(static_cast<std::size_t>(3 * weights_[i].view.rows()));
      EXPECT_TRUE(l.kernels[i]->run(x_.data(), 3, y.data()).ok());
      out.push_back(std::move(y));
    }
    return out;
  }

  static bool mentions(const std::vector<std::string>& log, const std::string& what) {
    for (const auto& m : log)
      if (m.find(what) != std::string::npos) return true;
    return false;
  }

  fs::path dir_;
  std::vector<OwnedWeight> weights_;
  std::vector<float> x_;
};

TEST_F(PackedCacheTest, PacksOnceThenMapsWithIdenticalResults) {
  const std::string path = (dir_ / "m.linnet.xnnpack").string();
  std::vector<std::vector<float>> first;
  {
    Loaded a = load(path);
    EXPECT_TRUE(mentions(a.log, "packing weights for XNNPACK into")) << "the first load says what it does";
    EXPECT_NE(a.backend->cache_description().find("wrote"), std::string::npos);
    first = outputs(a);
  }
  ASSERT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp." + std::to_string(::getpid())));
  const auto size = fs::file_size(path);
  EXPECT_GT(size, 4096u + 96 * 128);  // at least the Q4 data
  {
    Loaded b = load(path);
    EXPECT_TRUE(b.log.empty()) << b.log.front();
    EXPECT_NE(b.backend->cache_description().find("mapped"), std::string::npos);
    EXPECT_NE(b.backend->cache_description().find("4 operators found, 0 packed"), std::string::npos)
        << b.backend->cache_description();
    const auto second = outputs(b);
    for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i], second[i]) << "weight " << i;
  }
  EXPECT_EQ(fs::file_size(path), size);  // not rewritten
}

TEST_F(PackedCacheTest, DifferentIdentityRebuilds) {
  const std::string path = (dir_ / "m.xnnpack").string();
  { Loaded a = load(path, "bundle-a"); }
  Loaded b = load(path, "bundle-b");
  EXPECT_TRUE(mentions(b.log, "made for another bundle")) << (b.log.empty() ? "" : b.log.front());
  Loaded c = load(path, "bundle-b");
  EXPECT_NE(c.backend->cache_description().find("4 operators found"), std::string::npos);
}

TEST_F(PackedCacheTest, CorruptFilesAreRebuiltNotTrusted) {
  const std::string path = (dir_ / "m.xnnpack").string();
  { Loaded a = load(path); }
  const auto good = fs::file_size(path);
  // Truncated into the data section: the index is gone.
  fs::resize_file(path, good / 2);
  {
    Loaded b = load(path);
    EXPECT_TRUE(mentions(b.log, "unusable")) << (b.log.empty() ? "" : b.log.front());
    (void)outputs(b);
  }
  EXPECT_EQ(fs::file_size(path), good);
  // Garbage header.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.write("garbage!", 8);
  }
  Loaded c = load(path);
  EXPECT_TRUE(mentions(c.log, "not a Linnet packed-weights cache"));
  // A tiny file.
  { std::ofstream f(path, std::ios::trunc); f << "x"; }
  Loaded d = load(path);
  EXPECT_TRUE(mentions(d.log, "shorter than its header"));
}

TEST_F(PackedCacheTest, UnwritableDirectoryPacksInMemory) {
  if (::geteuid() == 0) {
    // root ignores directory permissions: use a path under a file instead.
    const std::string path = (dir_ / "not-a-dir").string();
    { std::ofstream f(path); }
    Loaded a = load(path + "/m.xnnpack");
    EXPECT_TRUE(mentions(a.log, "packing weights in memory"));
    EXPECT_NE(a.backend->cache_description().find("in memory"), std::string::npos);
    (void)outputs(a);
    return;
  }
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  Loaded a = load((dir_ / "m.xnnpack").string());
  fs::permissions(dir_, fs::perms::owner_all);
  EXPECT_TRUE(mentions(a.log, "packing weights in memory"));
}

TEST_F(PackedCacheTest, NoPathMeansMemory) {
  Loaded a = load("");
  EXPECT_TRUE(a.log.empty());
  EXPECT_NE(a.backend->cache_description().find("packed in memory (4 operators"), std::string::npos)
      << a.backend->cache_description();
  EXPECT_GT(a.backend->packed_bytes(), 96u * 128u);
}

}  // namespace
}  // namespace linnet::kernels
