#include "ota_push.h"

#include <cstdio>
#include <fstream>
#include <vector>

#include "runtime/ota/update_file.h"
#include "runtime/serve/base64.h"
#include "runtime/serve/crc32.h"

namespace linnet::client {
namespace {

Result<std::vector<std::uint8_t>> read_range(std::ifstream& in, std::uint64_t offset, std::size_t size,
                                             const std::string& path) {
  std::vector<std::uint8_t> bytes(size);
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<std::size_t>(in.gcount()) != size) {
    return Error(ErrorCode::kIo, path + ": short read at offset " + std::to_string(offset));
  }
  return bytes;
}

}  // namespace

Result<Json> push_update(SerialClient& client, const std::string& update_path, const PushOptions& options) {
  std::ifstream in(update_path, std::ios::binary);
  if (!in) return Error(ErrorCode::kNotFound, "cannot open " + update_path);

  // The head (header + manifest + signature) goes first, so the device can check the
  // signature before a single bundle byte is sent.
  auto header_bytes = LINNET_TRY(read_range(in, 0, ota::kUpdateHeaderBytes, update_path));
  auto header = ota::decode_header(header_bytes);
  if (!header.ok()) return std::move(header).error().with_context(update_path);
  const std::uint64_t head_size = header->head_size();
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(in.tellg());
  if (file_size != header->file_size()) {
    return Error(ErrorCode::kCorrupt, update_path + ": file is " + std::to_string(file_size) +
                                          " bytes, its header says " + std::to_string(header->file_size()));
  }
  const auto head = LINNET_TRY(read_range(in, 0, static_cast<std::size_t>(head_size), update_path));

  const Json begin_line = LINNET_TRY(client.call({{"cmd", "ota_begin"}, {"head", serve::base64_encode(head)}}));
  const Json begun = LINNET_TRY(SerialClient::result_of(begin_line));
  PushProgress progress;
  progress.total_bytes = begun.value("total_bytes", std::uint64_t{0});
  progress.sent_bytes = progress.resumed_from = begun.value("resume_offset", std::uint64_t{0});
  if (progress.total_bytes != header->bundle_size) {
    return Error(ErrorCode::kCorrupt, "the device expects " + std::to_string(progress.total_bytes) +
                                          " bundle bytes, the file has " + std::to_string(header->bundle_size));
  }
  std::size_t chunk = begun.value("max_chunk_bytes", std::size_t{4096});
  if (options.chunk_bytes > 0 && options.chunk_bytes < chunk) chunk = options.chunk_bytes;
  if (options.on_progress) options.on_progress(progress);

  while (progress.sent_bytes < progress.total_bytes) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, progress.total_bytes - progress.sent_bytes));
    const auto data = LINNET_TRY(read_range(in, head_size + progress.sent_bytes, n, update_path));
    char crc[9];
    std::snprintf(crc, sizeof crc, "%08x", serve::crc32(data));
    const Json request = {{"cmd", "ota_chunk"}, {"offset", progress.sent_bytes},
                          {"data", serve::base64_encode(data)}, {"crc32", crc}};
    // A chunk is idempotent (the device skips bytes it already holds), so a chunk whose
    // answer was lost or garbled is simply sent again.
    std::optional<Json> acked;
    std::string last_problem;
    for (int attempt = 0; attempt <= options.retries_per_chunk && !acked; ++attempt) {
      CallOptions call_options;
      call_options.idle_timeout = 30s;
      auto answer = client.call(request, call_options);
      if (!answer.ok()) {
        last_problem = answer.error().message();
        continue;
      }
      const Json& a = *answer;
      const Json error = a.value("error", Json::object());
      const std::string code = error.value("code", std::string());
      if (a.value("ok", false)) {
        acked = a.value("result", Json::object());
      } else if (code == "checksum" || code == "line_too_long" || code == "bad_json") {
        last_problem = error.value("message", std::string());  // damaged on the way: resend
      } else {
        return SerialClient::result_of(a).error().with_context("chunk at " + std::to_string(progress.sent_bytes));
      }
    }
    if (!acked) {
      return Error(ErrorCode::kIo, "chunk at " + std::to_string(progress.sent_bytes) + " failed " +
                                       std::to_string(options.retries_per_chunk + 1) + " times: " + last_problem);
    }
    progress.sent_bytes = acked->value("received_bytes", progress.sent_bytes + n);
    if (options.on_progress) options.on_progress(progress);
  }

  progress.committing = true;
  if (options.on_progress) options.on_progress(progress);
  CallOptions commit_options;
  commit_options.idle_timeout = 600s;  // hashing, trial load and self-test of a big model
  const Json commit_line = LINNET_TRY(client.call({{"cmd", "ota_commit"}}, commit_options));
  return SerialClient::result_of(commit_line);
}

}  // namespace linnet::client
