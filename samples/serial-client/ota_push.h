// Pushes a signed update file (.lnu) over the serial protocol: ota_begin with the
// file's head, the bundle in CRC-checked chunks (resuming where an interrupted push
// stopped), then ota_commit.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "serial_client.h"

namespace linnet::client {

struct PushProgress {
  std::uint64_t sent_bytes = 0;   // bundle bytes the device has acknowledged
  std::uint64_t total_bytes = 0;
  std::uint64_t resumed_from = 0; // where this push started (0 unless resuming)
  bool committing = false;        // all sent; waiting for verification and the switch
};

struct PushOptions {
  std::size_t chunk_bytes = 0;  // 0: the largest the device accepts
  int retries_per_chunk = 5;    // on a checksum error or a lost answer
  std::function<void(const PushProgress&)> on_progress;
};

// Returns ota_commit's result ({"model":..,"version":..}).
Result<Json> push_update(SerialClient& client, const std::string& update_path, const PushOptions& options);

}  // namespace linnet::client
