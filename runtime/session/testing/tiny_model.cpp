#include "session/testing/tiny_model.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
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
