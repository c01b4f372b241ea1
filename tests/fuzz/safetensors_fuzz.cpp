// Fuzzes the safetensors reader (converter/lib/safetensors.h) with arbitrary file
// contents: header length, JSON header, dtypes, shapes and data offsets all come from the
// input. Every tensor that opens is converted, so a view the reader accepted but that
// points outside the file shows up as an ASan report.
//
// The reader takes a path; the input is written to an anonymous memory file (memfd) and
// opened as /proc/self/fd/N, so no file system is touched.
#include <cstddef>
#include <cstdint>
#include <string>

#include "converter/lib/safetensors.h"
#include "memory_file.h"  // this folder

namespace {

// Large enough for real headers, small enough that each run stays fast.
constexpr std::size_t kMaxInput = 1 << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > kMaxInput) return 0;
  const linnet::fuzz::MemoryFile file("safetensors_fuzz", data, size);
  if (!file.ok()) return 0;
  auto opened = linnet::convert::SafetensorsFile::open(file.path());
  if (!opened.ok()) return 0;
  const linnet::convert::SafetensorsFile& st = opened.value();
  for (const auto& [name, tensor] : st.tensors()) {
    (void)st.find(name);
    (void)st.read_f32(name);
    (void)st.read_i64(name);
    // Touch every byte the reader claims is inside the file.
    volatile std::uint8_t sink = 0;
    for (const std::uint8_t b : tensor.bytes) sink = static_cast<std::uint8_t>(sink ^ b);
    (void)sink;
  }
  return 0;
}
