#include "converter/lib/convert.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

#include "converter/lib/checkpoint.h"
#include "converter/lib/hf_config.h"
#include "converter/lib/tokenizer_json.h"

namespace linnet::convert {
namespace {

std::string source_name_of(const ModelConfigData& cfg, const std::string& hf_dir) {
  if (!cfg.name_or_path.empty()) return cfg.name_or_path;
  std::filesystem::path p(hf_dir);
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

}  // namespace

Result<Quantized> encode_tensor(std::span<const float> w, std::span<const std::int64_t> shape, DTypeChoice choice,
                                int threads) {
  Quantized q;
  switch (choice.dtype) {
    case DType::kF32:
      q.data.resize(w.size() * 4);
      std::memcpy(q.data.data(), w.data(), q.data.size());
      return q;
    case DType::kF16:
      q.data = LINNET_TRY(encode_f16(w));
      return q;
    case DType::kQ8: return quantize_q8(w, shape[0], shape[1], threads);
    case DType::kQ4: return quantize_q4(w, shape[0], shape[1], choice.block_size, threads);
    case DType::kQ8T:
    case DType::kQ4T:
    case DType::kQ6T: return quantize_tiled(choice.dtype, w, shape[0], shape[1], threads);
    case DType::kBF16: break;
  }
  return Error(ErrorCode::kInternal, "encode_tensor: dtype " + std::string(dtype_name(choice.dtype)) + " not written");
}

std::vector<float> decode_tensor(const Quantized& q, std::span<const std::int64_t> shape, DTypeChoice choice) {
  switch (choice.dtype) {
    case DType::kF32: {
      std::vector<float> out(q.data.size() / 4);
      std::memcpy(out.data(), q.data.data(), q.data.size());
      return out;
    }
    case DType::kF16: return decode_f16(q.data);
    case DType::kQ8: return dequantize_q8(q, shape[0], shape[1]);
    case DType::kQ4: return dequantize_q4(q, shape[0], shape[1], choice.block_size);
    case DType::kQ8T:
    case DType::kQ4T:
    case DType::kQ6T: return dequantize_tiled(q, choice.dtype, shape[0], shape[1]);
    case DType::kBF16: break;
  }
  return {};
}

Result<ConvertReport> convert_checkpoint(const ConvertOptions& o) {
  namespace fs = std::filesystem;
  auto note = [&](const std::string& s) {
    if (o.note) o.note(s);
  };
  const ModelConfigData cfg = LINNET_TRY(read_hf_config((fs::path(o.hf_dir) / "config.json").string()));
  const GenerationDefaults gen = LINNET_TRY(read_generation_config((fs::path(o.hf_dir) / "generation_config.json").string()));
  TokenizerData tok = LINNET_TRY(read_tokenizer_files(o.hf_dir));
  if (tok.vocab_count() > static_cast<std::size_t>(cfg.hp.vocab_size)) {
    return Error(ErrorCode::kCorrupt, o.hf_dir + "/tokenizer.json: " + std::to_string(tok.vocab_count()) +
                                          " token ids but config.json vocab_size is " +
                                          std::to_string(cfg.hp.vocab_size));
  }
  const Checkpoint ck = LINNET_TRY(Checkpoint::open(o.hf_dir));
  const std::vector<TensorSpec> specs = expected_tensors(cfg.hp);
  LINNET_TRY(ck.check_against(specs));

  ConvertReport report;
  report.skipped_visual = ck.skipped_visual();
  report.skipped_mtp = ck.skipped_mtp();
  if (report.skipped_visual > 0) {
    note("skipping " + std::to_string(report.skipped_visual) + " vision tensors (model.visual.*): text only");
  }
  if (report.skipped_mtp > 0) {
    note("skipping " + std::to_string(report.skipped_mtp) + " multi-token-prediction tensors (mtp.*)");
  }

  std::vector<PlannedTensor> plan;
  std::vector<DTypeChoice> choices;
  for (const TensorSpec& s : specs) {
    const DTypeChoice c = choose_dtype(o.quant, o.embedding_quant, s.cls, s.shape);
    if (o.quant != QuantMode::kF32 && o.quant != QuantMode::kF16 && s.cls == TensorClass::kLinear && c.dtype == DType::kQ8) {
      note("tensor " + s.name + ": row length " + std::to_string(s.shape[1]) + " is not a multiple of 32, stored q8");
    }
    plan.push_back(PlannedTensor{s.name, c.dtype, s.shape, c.block_size});
    choices.push_back(c);
  }

  BundleContents contents;
  contents.hp = cfg.hp;
  contents.tokenizer = &tok;
  contents.chat = tok.chat;
  // Qwen3.5 0.8B and 2B default to thinking off; 4B (D 2560) and 9B (D 4096) to on.
  contents.chat.default_thinking = cfg.hp.hidden_size >= 2560;
  contents.generation = gen;
  contents.provenance = ProvenanceData{source_name_of(cfg, o.hf_dir), o.converter_version,
                                       std::string(quant_mode_name(o.quant)), o.created_unix_seconds, false};
  contents.data_alignment = o.data_alignment;
  BundleWriter writer = LINNET_TRY(BundleWriter::create(o.output, contents, plan));

  for (std::size_t i = 0; i < specs.size(); ++i) {
    const TensorSpec& s = specs[i];
    const Checkpoint::Entry& e = *ck.find(s.name);
    auto values = to_f32(*e.tensor);
    if (!values.ok()) return std::move(values).error().with_context(e.file);
    for (std::size_t k = 0; k < values->size(); ++k) {
      if (!std::isfinite((*values)[k])) {
        return Error(ErrorCode::kCorrupt, e.file + ": tensor " + e.source_name + ": element " + std::to_string(k) +
                                              " is not finite");
      }
    }
    auto encoded = encode_tensor(*values, s.shape, choices[i], o.threads);
    if (!encoded.ok()) return std::move(encoded).error().with_context(e.file + ": tensor " + e.source_name);
    const std::vector<float> decoded = decode_tensor(*encoded, s.shape, choices[i]);
    TensorReport tr;
    tr.name = s.name;
    tr.cls = s.cls;
    tr.dtype = choices[i].dtype;
    tr.elements = static_cast<std::int64_t>(values->size());
    tr.bytes = encoded->data.size() + encoded->scales.size();
    tr.error = measure_error(*values, decoded);
    report.tensors.push_back(std::move(tr));
    LINNET_TRY(writer.write_tensor(encoded->data, encoded->scales));
    if (o.progress) o.progress(i + 1, specs.size(), s.name);
  }
  report.file_size = writer.planned_file_size();
  report.sha256 = LINNET_TRY(writer.finish());
  return report;
}

std::string format_error_summary(const ConvertReport& report, bool per_tensor) {
  struct ClassSum {
    double max_abs = 0, sum_sq_err = 0, sum_sq_ref = 0;
    std::uint64_t bytes = 0;
    std::size_t count = 0;
    std::map<std::string, std::size_t> dtypes;
  };
  std::map<int, ClassSum> by_class;
  std::string out;
  char line[512];
  if (per_tensor) {
    out += "per tensor (max abs error, relative RMS error):\n";
    for (const TensorReport& t : report.tensors) {
      std::snprintf(line, sizeof line, "  %-52s %-4s %12.4e %10.3e\n", t.name.c_str(),
                    std::string(dtype_name(t.dtype)).c_str(), t.error.max_abs, t.error.rel_rms);
      out += line;
    }
  }
  for (const TensorReport& t : report.tensors) {
    ClassSum& c = by_class[static_cast<int>(t.cls)];
    c.max_abs = std::max(c.max_abs, t.error.max_abs);
    c.sum_sq_err += t.error.sum_sq_err;
    c.sum_sq_ref += t.error.sum_sq_ref;
    c.bytes += t.bytes;
    ++c.count;
    ++c.dtypes[std::string(dtype_name(t.dtype))];
  }
  out += "quantization error by tensor class (max abs, relative RMS):\n";
  for (const auto& [cls, c] : by_class) {
    std::string dts;
    for (const auto& [d, n] : c.dtypes) dts += (dts.empty() ? "" : ",") + d;
    const double rel = c.sum_sq_ref > 0 ? std::sqrt(c.sum_sq_err / c.sum_sq_ref) : 0.0;
    std::snprintf(line, sizeof line, "  %-16s %4zu tensors  %-7s max abs %.3e  rel RMS %.3e  %10.2f MiB\n",
                  std::string(tensor_class_name(static_cast<TensorClass>(cls))).c_str(), c.count, dts.c_str(),
                  c.max_abs, rel, static_cast<double>(c.bytes) / (1024.0 * 1024.0));
    out += line;
  }
  return out;
}

}  // namespace linnet::convert
