#include "converter/lib/checkpoint.h"

#include <filesystem>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "converter/lib/hf_config.h"

namespace linnet::convert {
namespace {

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

std::string dims(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? "," : "") + std::to_string(shape[i]);
  return out + "]";
}

}  // namespace

Result<Checkpoint> Checkpoint::open(const std::string& hf_dir) {
  namespace fs = std::filesystem;
  Checkpoint ck;
  const std::string index_path = (fs::path(hf_dir) / "model.safetensors.index.json").string();
  const std::string single_path = (fs::path(hf_dir) / "model.safetensors").string();
  std::vector<std::string> files;
  std::map<std::string, std::string> expected_file;  // source name -> shard, from the index
  std::error_code ec;
  if (fs::exists(index_path, ec)) {
    const std::string text = LINNET_TRY(read_text_file(index_path));
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("weight_map") || !doc["weight_map"].is_object()) {
      return Error(ErrorCode::kCorrupt, index_path + ": malformed JSON (no weight_map object)");
    }
    std::set<std::string> unique;
    for (auto it = doc["weight_map"].begin(); it != doc["weight_map"].end(); ++it) {
      if (!it->is_string()) return Error(ErrorCode::kCorrupt, index_path + ": weight_map entry " + it.key() + " is not a file name");
      const std::string shard = it->get<std::string>();
      if (shard.find('/') != std::string::npos || shard == ".." || shard.empty()) {
        return Error(ErrorCode::kCorrupt, index_path + ": shard name '" + shard + "' is not a file in the directory");
      }
      expected_file[it.key()] = shard;
      if (unique.insert(shard).second) files.push_back((fs::path(hf_dir) / shard).string());
    }
  } else if (fs::exists(single_path, ec)) {
    files.push_back(single_path);
  } else {
    return Error(ErrorCode::kNotFound, hf_dir + ": neither model.safetensors nor model.safetensors.index.json");
  }

  for (const std::string& file : files) {
    auto shard = LINNET_TRY(SafetensorsFile::open(file));
    ck.shards_.push_back(std::make_unique<SafetensorsFile>(std::move(shard)));
    const SafetensorsFile& sf = *ck.shards_.back();
    for (const auto& [name, tensor] : sf.tensors()) {
      if (!expected_file.empty()) {
        auto it = expected_file.find(name);
        if (it == expected_file.end() || (std::filesystem::path(hf_dir) / it->second).string() != file) {
          return Error(ErrorCode::kCorrupt, file + ": tensor " + name + " is not listed for this shard in " + index_path);
        }
      }
      if (starts_with(name, "model.visual.")) {
        ++ck.skipped_visual_;
        continue;
      }
      if (starts_with(name, "mtp.")) {
        ++ck.skipped_mtp_;
        continue;
      }
      std::string bundle_name = name;
      if (starts_with(name, "model.language_model.")) {
        bundle_name = name.substr(std::string_view("model.language_model.").size());
      } else if (starts_with(name, "model.")) {
        bundle_name = name.substr(std::string_view("model.").size());
      }
      auto [pos, inserted] = ck.entries_.emplace(bundle_name, Entry{&tensor, file, name});
      if (!inserted) {
        return Error(ErrorCode::kCorrupt, file + ": tensor " + name + " duplicates " + pos->second.source_name +
                                              " in " + pos->second.file);
      }
    }
  }
  // Every tensor the index names must have been found in its shard.
  for (const auto& [name, shard] : expected_file) {
    bool found = false;
    for (const auto& s : ck.shards_) found = found || s->find(name) != nullptr;
    if (!found) return Error(ErrorCode::kCorrupt, index_path + ": tensor " + name + " is missing from " + shard);
  }
  return ck;
}

const Checkpoint::Entry* Checkpoint::find(const std::string& bundle_name) const {
  auto it = entries_.find(bundle_name);
  return it == entries_.end() ? nullptr : &it->second;
}

Status Checkpoint::check_against(const std::vector<TensorSpec>& specs) const {
  std::unordered_map<std::string, const TensorSpec*> by_name;
  for (const auto& s : specs) by_name.emplace(s.name, &s);
  for (const auto& [name, e] : entries_) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      return Error(ErrorCode::kUnsupported, e.file + ": tensor " + e.source_name +
                                                ": not a tensor of this model (unknown name, refused)");
    }
    const TensorSpec& spec = *it->second;
    if (e.tensor->shape != spec.shape) {
      return Error(ErrorCode::kCorrupt, e.file + ": tensor " + e.source_name + ": shape " + dims(e.tensor->shape) +
                                            " but config.json implies " + dims(spec.shape));
    }
    const StDType d = e.tensor->dtype;
    if (d != StDType::kF32 && d != StDType::kF16 && d != StDType::kBF16) {
      return Error(ErrorCode::kUnsupported, e.file + ": tensor " + e.source_name + ": unsupported dtype " +
                                                std::string(st_dtype_name(d)) + " (expected F32, F16 or BF16)");
    }
  }
  for (const auto& spec : specs) {
    if (entries_.find(spec.name) == entries_.end()) {
      return Error(ErrorCode::kNotFound, "checkpoint: tensor " + spec.name + " is missing (looked for model." +
                                             spec.name + " and model.language_model." + spec.name + ")");
    }
  }
  return ok_status();
}

}  // namespace linnet::convert
