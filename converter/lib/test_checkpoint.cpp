#include "converter/lib/test_checkpoint.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace linnet::convert::testing {
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace

TempDir::TempDir() {
  std::string templ = (fs::temp_directory_path() / "linnet-conv-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<std::string> TempDir::entries() const {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(path_)) out.push_back(e.path().filename().string());
  return out;
}

EditableCheckpoint EditableCheckpoint::load(const std::string& dir) {
  EditableCheckpoint ck;
  auto file = SafetensorsFile::open(dir + "/model.safetensors");
  EXPECT_TRUE(file.ok()) << file.error().message();
  if (!file.ok()) return ck;
  for (const auto& [name, t] : file->tensors()) {
    ck.tensors.push_back(OwnedTensor{name, t.dtype, t.shape, std::vector<std::uint8_t>(t.bytes.begin(), t.bytes.end())});
  }
  ck.config = nlohmann::json::parse(slurp(dir + "/config.json"));
  ck.generation_config = slurp(dir + "/generation_config.json");
  ck.tokenizer_json = slurp(dir + "/tokenizer.json");
  ck.tokenizer_config_json = slurp(dir + "/tokenizer_config.json");
  return ck;
}

OwnedTensor* EditableCheckpoint::find(const std::string& name) {
  for (auto& t : tensors) {
    if (t.name == name) return &t;
  }
  ADD_FAILURE() << "no tensor " << name;
  return nullptr;
}

void EditableCheckpoint::remove(const std::string& name) {
  std::erase_if(tensors, [&](const OwnedTensor& t) { return t.name == name; });
}

std::vector<float> EditableCheckpoint::values(const std::string& name) {
  OwnedTensor* t = find(name);
  StTensor view{t->name, t->dtype, t->shape, t->bytes};
  auto v = to_f32(view);
  EXPECT_TRUE(v.ok());
  return v.ok() ? *v : std::vector<float>{};
}

void EditableCheckpoint::convert(const std::string& name, StDType dtype) {
  const std::vector<float> v = values(name);
  OwnedTensor* t = find(name);
  t->dtype = dtype;
  t->bytes.clear();
  for (const float x : v) {
    if (dtype == StDType::kF32) {
      std::uint8_t b[4];
      std::memcpy(b, &x, 4);
      t->bytes.insert(t->bytes.end(), b, b + 4);
    } else {
      const std::uint16_t h = dtype == StDType::kF16 ? f32_to_f16(x) : f32_to_bf16(x);
      std::uint8_t b[2];
      std::memcpy(b, &h, 2);
      t->bytes.insert(t->bytes.end(), b, b + 2);
    }
  }
}

void EditableCheckpoint::write(const std::string& dir, int shards) const {
  fs::create_directories(dir);
  spit(dir + "/config.json", config.dump(2));
  if (!generation_config.empty()) spit(dir + "/generation_config.json", generation_config);
  spit(dir + "/tokenizer.json", tokenizer_json);
  spit(dir + "/tokenizer_config.json", tokenizer_config_json);
  auto outputs = [](const std::vector<const OwnedTensor*>& ts) {
    std::vector<StRawOutput> out;
    for (const OwnedTensor* t : ts) out.push_back(StRawOutput{t->name, t->dtype, t->shape, t->bytes});
    return out;
  };
  if (shards <= 1) {
    std::vector<const OwnedTensor*> all;
    for (const auto& t : tensors) all.push_back(&t);
    const auto st = write_safetensors_raw(dir + "/model.safetensors", outputs(all));
    EXPECT_TRUE(st.ok());
    return;
  }
  nlohmann::json index;
  index["metadata"] = {{"total_size", 0}};
  index["weight_map"] = nlohmann::json::object();
  for (int s = 0; s < shards; ++s) {
    char name[64];
    std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", s + 1, shards);
    std::vector<const OwnedTensor*> part;
    // Round-robin in reverse order, so shards do not follow the original order.
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      if (static_cast<int>((tensors.size() - 1 - i) % static_cast<std::size_t>(shards)) == s) {
        part.push_back(&tensors[i]);
        index["weight_map"][tensors[i].name] = name;
      }
    }
    const auto st = write_safetensors_raw(dir + "/" + name, outputs(part));
    EXPECT_TRUE(st.ok());
  }
  spit(dir + "/model.safetensors.index.json", index.dump(2));
}

}  // namespace linnet::convert::testing
