#include "runtime/session/testing/tiny_model.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>

#include "converter/lib/convert.h"

namespace linnet::testing {
namespace {

namespace fs = std::filesystem;

struct TinyBundles {
  fs::path dir;
  std::map<std::string, std::string> paths;
  std::map<std::string, std::unique_ptr<Model>> models;

  TinyBundles() {
    dir = fs::temp_directory_path() / ("linnet-session-tiny-" + std::to_string(::getpid()));
    fs::create_directories(dir);
  }
  ~TinyBundles() {
    models.clear();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

TinyBundles& bundles() {
  static TinyBundles instance;  // test processes only
  return instance;
}

}  // namespace

std::string tiny_checkpoint_dir() { return std::string(LINNET_SHARED_DIR) + "/models/qwen35-tiny-a"; }

std::string tiny_bundle_path(const std::string& quant) {
  TinyBundles& b = bundles();
  auto it = b.paths.find(quant);
  if (it != b.paths.end()) return it->second;
  convert::QuantMode mode = convert::QuantMode::kF32;
  if (quant == "f16") mode = convert::QuantMode::kF16;
  else if (quant == "q8") mode = convert::QuantMode::kQ8;
  else if (quant == "q4") mode = convert::QuantMode::kQ4;
  convert::ConvertOptions options;
  options.hf_dir = tiny_checkpoint_dir();
  options.output = (b.dir / ("tiny-" + quant + ".linnet")).string();
  options.quant = mode;
  options.converter_version = "session-test";
  auto report = convert::convert_checkpoint(options);
  EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error().message());
  if (!report.ok()) return {};
  return b.paths[quant] = options.output;
}

std::string nan_norm_bundle_path(const std::string& quant) {
  TinyBundles& b = bundles();
  const std::string key = quant + "-nan-norm";
  auto it = b.paths.find(key);
  if (it != b.paths.end()) return it->second;
  const std::string source = tiny_bundle_path(quant);
  if (source.empty()) return {};
  // Where the final norm's data lies in the file, from the bundle reader.
  std::uint64_t offset = 0;
  {
    auto bundle = Bundle::open(source);
    EXPECT_TRUE(bundle.ok()) << (bundle.ok() ? "" : bundle.error().message());
    if (!bundle.ok()) return {};
    const TensorView& norm = bundle->weights().norm;
    EXPECT_TRUE(norm.present() && norm.dtype == DType::kF32 && norm.data_bytes >= 4);
    offset = static_cast<std::uint64_t>(static_cast<const std::uint8_t*>(norm.data) - bundle->file_bytes().data());
  }
  const fs::path damaged = b.dir / ("tiny-" + key + ".linnet");
  std::error_code ec;
  fs::copy_file(source, damaged, fs::copy_options::overwrite_existing, ec);
  EXPECT_FALSE(ec) << ec.message();
  std::fstream file(damaged, std::ios::binary | std::ios::in | std::ios::out);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(reinterpret_cast<const char*>(&nan), sizeof nan);
  const bool written = file.good();
  file.close();
  EXPECT_TRUE(written) << "writing " << damaged;
  if (ec || !written) return {};
  return b.paths[key] = damaged.string();
}

const Model* tiny_model(const std::string& quant) {
  TinyBundles& b = bundles();
  auto it = b.models.find(quant);
  if (it != b.models.end()) return it->second.get();
  const std::string path = tiny_bundle_path(quant);
  if (path.empty()) return nullptr;
  auto model = Model::open(path);
  EXPECT_TRUE(model.ok()) << (model.ok() ? "" : model.error().message());
  if (!model.ok()) return nullptr;
  return (b.models[quant] = std::move(model).value()).get();
}

}  // namespace linnet::testing
