// The state record on disk, kept twice: `state` and `state.copy`, each replaced
// atomically (write_file_atomically) and self-checked (store_state.h's SHA-256
// trailer). Every change writes `state`, then `state.copy`, so at any instant at
// least one copy holds the newest record and the other holds the same record or the
// one before it (a crash between the two writes). Losing or damaging one file (a bit
// flip, an emptied file, `rm`) therefore loses nothing: the reader takes the newest
// copy that checks, and the agent rewrites the other (reporting the repair).
//
// Both gone (or both damaged) is what slot heads are for (slot_heads.h): the record
// is rebuilt from the slots' signed manifests, or the store is left untouched.
#pragma once

#include <optional>
#include <string>

#include "runtime/core/result.h"
#include "runtime/ota/crash_points.h"
#include "runtime/ota/store_state.h"

namespace linnet::ota {

inline constexpr char kStateFile[] = "state";
inline constexpr char kStateCopyFile[] = "state.copy";

struct StateReading {
  // The newest copy that decodes; nullopt when none does (or none exists).
  std::optional<StoreState> state;
  // Some copy exists, whether or not it decodes.
  bool any_copy_exists = false;
  // What is wrong with the copies, for the log and `ota status`: "state.copy is
  // missing", "state: checksum mismatch", "state.copy is 1 change behind". Empty when
  // both copies exist, decode and agree.
  std::string damage;
};

// I/O errors other than "no such file" are errors; damaged copies are not (they are
// described in `damage`).
Result<StateReading> read_state_files(const std::string& dir);

// Writes `state` to both copies (crash points "state.*" then "state-copy.*").
Status write_state_files(const std::string& dir, const StoreState& state, CrashPoints* points);

}  // namespace linnet::ota
