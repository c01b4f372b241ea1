#include "runtime/ota/state_files.h"

#include <vector>

#include "runtime/ota/durable_file.h"

namespace linnet::ota {
namespace {

struct CopyReading {
  std::string name;
  bool exists = false;
  Result<StoreState> decoded = Error(ErrorCode::kNotFound, "missing");
};

Result<CopyReading> read_copy(const std::string& dir, const char* name) {
  CopyReading copy;
  copy.name = name;
  const std::string path = dir + "/" + name;
  const auto size = LINNET_TRY(file_size(path));
  if (!size) return copy;
  copy.exists = true;
  // An unreadable copy (EIO on a worn card, too large, not a file) is damage like a
  // failed checksum: the other copy may still hold the record.
  auto bytes = read_small_file(path, kMaxStateBytes);
  if (!bytes.ok()) {
    copy.decoded = std::move(bytes).error();
    return copy;
  }
  copy.decoded = decode_state(*bytes);
  return copy;
}

std::string describe_problem(const CopyReading& copy) {
  if (!copy.exists) return copy.name + " is missing";
  return copy.name + ": " + copy.decoded.error().message();
}

}  // namespace

Result<StateReading> read_state_files(const std::string& dir) {
  const CopyReading primary = LINNET_TRY(read_copy(dir, kStateFile));
  const CopyReading copy = LINNET_TRY(read_copy(dir, kStateCopyFile));
  StateReading reading;
  reading.any_copy_exists = primary.exists || copy.exists;
  if (!reading.any_copy_exists) return reading;  // a fresh store (or both removed)

  const bool primary_ok = primary.decoded.ok();
  const bool copy_ok = copy.decoded.ok();
  std::vector<std::string> problems;
  if (!primary_ok) problems.push_back(describe_problem(primary));
  if (!copy_ok) problems.push_back(describe_problem(copy));
  if (primary_ok && copy_ok) {
    const std::uint64_t a = primary.decoded->generation;
    const std::uint64_t b = copy.decoded->generation;
    // Equal generations with different bytes cannot come from write_state_files; take
    // the primary and rewrite the copy.
    if (a != b || !(*primary.decoded == *copy.decoded)) {
      const CopyReading& behind = a >= b ? copy : primary;
      const std::uint64_t lag = a >= b ? a - b : b - a;
      problems.push_back(behind.name + " is " + std::to_string(lag) + (lag == 1 ? " change" : " changes") +
                         " behind (a write was interrupted)");
    }
    reading.state = a >= b ? *primary.decoded : *copy.decoded;
  } else if (primary_ok) {
    reading.state = *primary.decoded;
  } else if (copy_ok) {
    reading.state = *copy.decoded;
  }
  for (std::size_t i = 0; i < problems.size(); ++i) reading.damage += (i > 0 ? "; " : "") + problems[i];
  return reading;
}

Status write_state_files(const std::string& dir, const StoreState& state, CrashPoints* points) {
  const std::vector<std::uint8_t> bytes = encode_state(state);
  LINNET_TRY(write_file_atomically(dir, kStateFile, bytes, points, "state"));
  return write_file_atomically(dir, kStateCopyFile, bytes, points, "state-copy");
}

}  // namespace linnet::ota
