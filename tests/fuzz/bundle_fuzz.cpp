// Fuzzes the bundle loader (runtime/bundle/bundle.h) with arbitrary file contents. Every
// input that opens is used the way the runtime would use it: every tensor view's bytes
// (data and scales) and every tokenizer array is read, and the SHA-256 is checked, so a
// view the loader accepted but that points outside the mapping shows up as an ASan report.
//
// Seeds (corpus/bundle_fuzz/, no .linnet suffix so git keeps them) are small synthetic
// bundles: every dtype, both layer kinds, a byte-level tokenizer, written by
//   SOURCE_DATE_EPOCH=1700000000 linnet-convert --synthetic tests/fuzz/bundle_fuzz_seed_config.json
//       -o synthetic_q4 --quant q4   (and -o synthetic_f16_seed3 --quant f16 --seed 3)
//
// The loader takes a path; the input is written to an anonymous memory file (memfd) and
// opened as /proc/self/fd/N, so no file system is touched.
#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/bundle/bundle.h"
#include "memory_file.h"  // this folder

namespace {

constexpr std::size_t kMaxInput = 1 << 20;

std::uint8_t touch(const void* p, std::size_t n) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  std::uint8_t x = 0;
  for (std::size_t i = 0; i < n; ++i) x = static_cast<std::uint8_t>(x ^ b[i]);
  return x;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > kMaxInput) return 0;
  const linnet::fuzz::MemoryFile file("bundle_fuzz", data, size);
  if (!file.ok()) return 0;
  auto opened = linnet::Bundle::open(file.path());
  if (!opened.ok()) {
    if (opened.error().message().empty()) __builtin_trap();  // every refusal says why
    return 0;
  }
  const linnet::Bundle& b = opened.value();
  volatile std::uint8_t sink = 0;
  for (const linnet::TensorRecord& r : b.tensors()) {
    sink = static_cast<std::uint8_t>(sink ^ touch(r.view.data, r.view.data_bytes));
    if (r.view.scales != nullptr) sink = static_cast<std::uint8_t>(sink ^ touch(r.view.scales, r.view.scales_bytes));
    (void)r.view.name.size();
  }
  const linnet::ModelWeights& w = b.weights();
  sink = static_cast<std::uint8_t>(sink ^ touch(w.lm_head.data, w.lm_head.data_bytes));
  const linnet::TokenizerSource& t = b.tokenizer();
  // The loader promises these indices are valid: use them unchecked, as the tokenizer does.
  for (std::size_t i = 0; i + 1 < t.vocab_offsets.size(); ++i) {
    sink = static_cast<std::uint8_t>(sink ^ touch(t.vocab_bytes.data() + t.vocab_offsets[i],
                                                  t.vocab_offsets[i + 1] - t.vocab_offsets[i]));
  }
  for (std::size_t r = 0; r < t.merge_left.size(); ++r) {
    sink = static_cast<std::uint8_t>(sink ^ t.vocab_bytes[t.vocab_offsets[t.merge_left[r]]] ^
                                     t.vocab_offsets[t.merge_right[r]] ^ t.vocab_offsets[t.merge_result[r] + 1]);
  }
  for (const auto& a : t.added_tokens) sink = static_cast<std::uint8_t>(sink ^ touch(a.content.data(), a.content.size()));
  (void)b.verify_sha256();
  (void)b.content_sha256_hex();
  (void)b.signature().size();
  return 0;
}
