#include "runtime/bundle/bundle_summary.h"

#include <cstdio>
#include <ctime>
#include <map>

#include "runtime/core/json_text.h"

namespace linnet {
namespace {

std::string fmt(const char* f, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

std::string mib(std::uint64_t bytes) { return fmt("%.2f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0)); }

std::string shape_text(const TensorView& v) {
  std::string s = "[";
  for (int i = 0; i < v.rank; ++i) s += (i ? "," : "") + std::to_string(v.shape[static_cast<std::size_t>(i)]);
  return s + "]";
}

std::string layer_pattern(const HyperParams& hp) {
  std::string s;
  for (const LayerKind k : hp.layer_types) s += k == LayerKind::kFullAttention ? 'F' : 'L';
  return s;
}

struct ClassBytes {
  std::size_t count = 0;
  std::uint64_t bytes = 0;
  std::map<std::string, std::size_t> dtypes;
};

std::map<std::string, ClassBytes> bytes_by_class(const Bundle& b) {
  std::map<std::string, ClassBytes> out;
  for (const TensorRecord& r : b.tensors()) {
    ClassBytes& c = out[std::string(tensor_class_name(r.cls))];
    ++c.count;
    c.bytes += r.view.data_bytes + r.view.scales_bytes;
    ++c.dtypes[std::string(dtype_name(r.view.dtype))];
  }
  return out;
}

std::string dtypes_text(const ClassBytes& c) {
  std::string s;
  for (const auto& [d, n] : c.dtypes) s += (s.empty() ? "" : ",") + d;
  return s;
}

}  // namespace

std::string signature_text(const Bundle& b, const SummaryOptions& options) {
  if (b.signature().empty()) return "none (the slot is unused: all zero)";
  const std::string bytes = std::to_string(b.signature().size()) + " bytes";
  if (options.signature_verified_by.empty()) {
    return bytes + ", not verified (linnet info --pubkey KEY checks it against the content hash)";
  }
  return bytes + ", verified with " + options.signature_verified_by;
}

std::string iso8601_utc(std::uint64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  char out[32];
  if (gmtime_r(&t, &utc) == nullptr || std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &utc) == 0) {
    return std::to_string(unix_seconds) + " (unix seconds)";
  }
  return out;
}

std::string summarize_text(const Bundle& b, const SummaryOptions& options) {
  const HyperParams& hp = b.hyper_params();
  const Provenance& p = b.provenance();
  const TokenizerSource& t = b.tokenizer();
  std::string s;
  s += "bundle       " + b.path() + "\n";
  s += "size         " + std::to_string(b.file_size()) + " bytes (" + mib(b.file_size()) + "): FlatBuffer " +
       std::to_string(b.flatbuffer_size()) + " bytes, weights " + mib(b.weight_bytes()) + "\n";
  s += "schema       version " + std::to_string(b.schema_version()) + ", data alignment " +
       std::to_string(b.data_alignment()) + "\n";
  // The content hash: SHA-256 of the file with its hash and signature slots zeroed
  // (docs/bundle-format.md), which is what OTA manifests and the serial `info` carry. The
  // file's own SHA-256 (sha256sum, `ota status`) is another number.
  s += "content hash " + b.content_sha256_hex() + " (SHA-256 of the content; not the file's sha256sum)\n";
  s += "signature    " + signature_text(b, options) + "\n";
  s += "source       " + std::string(p.source_model) + (p.synthetic ? " (synthetic weights)" : "") + "\n";
  s += "converter    " + std::string(p.converter_version) + ", created " + iso8601_utc(p.created_unix_seconds) +
       ", quantization " + std::string(p.quantization) + "\n";
  s += "model        " + std::string(b.architecture()) + ": D " + std::to_string(hp.hidden_size) + ", " +
       std::to_string(hp.num_layers) + " layers " + layer_pattern(hp) + ", I " + std::to_string(hp.intermediate_size) +
       ", V " + std::to_string(hp.vocab_size) + "\n";
  s += fmt("attention    %d heads / %d KV heads, head_dim %d, rotary %d dims, rope_theta %g\n", hp.num_attention_heads,
           hp.num_key_value_heads, hp.head_dim, hp.rotary_dim(), hp.rope_theta);
  s += fmt("deltanet     Hk %d, Hv %d, dk %d, dv %d, conv kernel %d\n", hp.linear_num_key_heads,
           hp.linear_num_value_heads, hp.linear_key_head_dim, hp.linear_value_head_dim, hp.linear_conv_kernel_dim);
  s += fmt("misc         rms_norm_eps %g, tied embeddings %s, max positions %d\n", static_cast<double>(hp.rms_norm_eps),
           hp.tie_word_embeddings ? "yes" : "no", hp.max_position_embeddings);
  s += fmt("tokenizer    %zu ids, %zu merges, %zu added tokens, eos %d, pad %d\n", t.vocab_offsets.size() - 1,
           t.merge_left.size(), t.added_tokens.size(), t.eos_id, t.pad_id);
  const GenerationDefaults& g = b.generation_defaults();
  s += fmt("generation   temperature %g, top_k %d, top_p %g, min_p %g, repetition_penalty %g, max_new_tokens %d\n",
           static_cast<double>(g.temperature), g.top_k, static_cast<double>(g.top_p), static_cast<double>(g.min_p),
           static_cast<double>(g.repetition_penalty), g.max_new_tokens);
  s += std::string("chat         default thinking ") + (b.chat_template().default_thinking ? "on" : "off") + "\n";
  s += "bytes by tensor class:\n";
  for (const auto& [cls, c] : bytes_by_class(b)) {
    s += fmt("  %-16s %4zu tensors  %-8s %14s\n", cls.c_str(), c.count, dtypes_text(c).c_str(), mib(c.bytes).c_str());
  }
  if (options.tensor_table) {
    s += "tensors:\n";
    for (const TensorRecord& r : b.tensors()) {
      const TensorView& v = r.view;
      s += fmt("  %-50.*s %-4s %-14s offset %12llu  %10llu bytes", static_cast<int>(v.name.size()), v.name.data(),
               std::string(dtype_name(v.dtype)).c_str(), shape_text(v).c_str(),
               static_cast<unsigned long long>(r.data_offset), static_cast<unsigned long long>(v.data_bytes));
      if (v.scales_bytes > 0) {
        s += fmt("  scales %llu bytes", static_cast<unsigned long long>(v.scales_bytes));
        if (v.block_size > 0) s += fmt(" (block %u)", v.block_size);
      }
      s += "\n";
    }
  }
  return s;
}

std::string summarize_json(const Bundle& b, const SummaryOptions& options) {
  const HyperParams& hp = b.hyper_params();
  const Provenance& p = b.provenance();
  const TokenizerSource& t = b.tokenizer();
  const GenerationDefaults& g = b.generation_defaults();
  const ChatTemplateStrings& c = b.chat_template();
  std::string s = "{";
  s += "\"file\":" + json_quote(b.path());
  s += fmt(",\"file_bytes\":%llu,\"flatbuffer_bytes\":%llu,\"weight_bytes\":%llu",
           static_cast<unsigned long long>(b.file_size()), static_cast<unsigned long long>(b.flatbuffer_size()),
           static_cast<unsigned long long>(b.weight_bytes()));
  s += fmt(",\"schema_version\":%u,\"data_alignment\":%u", b.schema_version(), b.data_alignment());
  s += ",\"content_sha256\":" + json_quote(b.content_sha256_hex());
  s += std::string(",\"signature\":\"") +
       (b.signature().empty() ? "none" : options.signature_verified_by.empty() ? "not_verified" : "verified") + "\"";
  s += fmt(",\"signature_bytes\":%zu", b.signature().size());
  if (!b.signature().empty() && !options.signature_verified_by.empty()) {
    s += ",\"signature_key\":" + json_quote(options.signature_verified_by);
  }
  s += ",\"provenance\":{\"source_model\":" + json_quote(p.source_model) +
       ",\"converter_version\":" + json_quote(p.converter_version) + ",\"quantization\":" + json_quote(p.quantization) +
       fmt(",\"created_unix_seconds\":%llu", static_cast<unsigned long long>(p.created_unix_seconds)) +
       ",\"created\":" + json_quote(iso8601_utc(p.created_unix_seconds)) +
       ",\"synthetic\":" + (p.synthetic ? "true" : "false") + "}";
  s += ",\"config\":{\"architecture\":" + json_quote(b.architecture());
  s += fmt(",\"hidden_size\":%d,\"num_layers\":%d,\"intermediate_size\":%d,\"vocab_size\":%d", hp.hidden_size,
           hp.num_layers, hp.intermediate_size, hp.vocab_size);
  s += fmt(",\"num_attention_heads\":%d,\"num_key_value_heads\":%d,\"head_dim\":%d", hp.num_attention_heads,
           hp.num_key_value_heads, hp.head_dim);
  s += fmt(",\"linear_num_key_heads\":%d,\"linear_num_value_heads\":%d,\"linear_key_head_dim\":%d", hp.linear_num_key_heads,
           hp.linear_num_value_heads, hp.linear_key_head_dim);
  s += fmt(",\"linear_value_head_dim\":%d,\"linear_conv_kernel_dim\":%d", hp.linear_value_head_dim,
           hp.linear_conv_kernel_dim);
  s += fmt(",\"rope_theta\":%.17g,\"partial_rotary_factor\":%.9g,\"rms_norm_eps\":%.9g", hp.rope_theta,
           static_cast<double>(hp.partial_rotary_factor), static_cast<double>(hp.rms_norm_eps));
  s += std::string(",\"tie_word_embeddings\":") + (hp.tie_word_embeddings ? "true" : "false");
  s += fmt(",\"max_position_embeddings\":%d,\"layer_types\":[", hp.max_position_embeddings);
  for (std::size_t i = 0; i < hp.layer_types.size(); ++i) {
    s += (i ? "," : "") + std::string(hp.layer_types[i] == LayerKind::kFullAttention ? "\"full_attention\""
                                                                                      : "\"linear_attention\"");
  }
  s += "]}";
  s += fmt(",\"tokenizer\":{\"ids\":%zu,\"merges\":%zu,\"added_tokens\":%zu,\"eos_id\":%d,\"pad_id\":%d,"
           "\"im_start_id\":%d,\"im_end_id\":%d,\"think_id\":%d,\"end_think_id\":%d}",
           t.vocab_offsets.size() - 1, t.merge_left.size(), t.added_tokens.size(), t.eos_id, t.pad_id, t.im_start_id,
           t.im_end_id, t.think_id, t.end_think_id);
  s += ",\"chat\":{\"im_start\":" + json_quote(c.im_start) + ",\"im_end\":" + json_quote(c.im_end) +
       ",\"thinking_on\":" + json_quote(c.thinking_on) + ",\"thinking_off\":" + json_quote(c.thinking_off) +
       ",\"default_thinking\":" + (c.default_thinking ? "true" : "false") + "}";
  s += fmt(",\"generation\":{\"temperature\":%.9g,\"top_k\":%d,\"top_p\":%.9g,\"min_p\":%.9g,"
           "\"repetition_penalty\":%.9g,\"max_new_tokens\":%d}",
           static_cast<double>(g.temperature), g.top_k, static_cast<double>(g.top_p), static_cast<double>(g.min_p),
           static_cast<double>(g.repetition_penalty), g.max_new_tokens);
  s += ",\"bytes_by_class\":{";
  bool first = true;
  for (const auto& [cls, cb] : bytes_by_class(b)) {
    s += (first ? "" : ",") + json_quote(cls) +
         fmt(":{\"tensors\":%zu,\"bytes\":%llu,\"dtypes\":", cb.count, static_cast<unsigned long long>(cb.bytes)) +
         json_quote(dtypes_text(cb)) + "}";
    first = false;
  }
  s += "}";
  if (options.tensor_table) {
    s += ",\"tensors\":[";
    first = true;
    for (const TensorRecord& r : b.tensors()) {
      const TensorView& v = r.view;
      s += (first ? "{" : ",{");
      first = false;
      s += "\"name\":" + json_quote(v.name) + ",\"dtype\":" + json_quote(dtype_name(v.dtype)) +
           ",\"class\":" + json_quote(tensor_class_name(r.cls)) + ",\"shape\":[";
      for (int i = 0; i < v.rank; ++i) s += (i ? "," : "") + std::to_string(v.shape[static_cast<std::size_t>(i)]);
      s += fmt("],\"offset\":%llu,\"bytes\":%llu", static_cast<unsigned long long>(r.data_offset),
               static_cast<unsigned long long>(v.data_bytes));
      if (v.scales_bytes > 0) {
        s += fmt(",\"scales_offset\":%llu,\"scales_bytes\":%llu,\"block_size\":%u",
                 static_cast<unsigned long long>(r.scales_offset), static_cast<unsigned long long>(v.scales_bytes),
                 v.block_size);
      }
      s += "}";
    }
    s += "]";
  }
  return s + "}";
}

}  // namespace linnet
