#include "runtime/serve/ota_port.h"

namespace linnet::serve {

std::string_view ota_phase_name(OtaPhase phase) {
  switch (phase) {
    case OtaPhase::kIdle: return "idle";
    case OtaPhase::kReceiving: return "receiving";
    case OtaPhase::kVerifying: return "verifying";
    case OtaPhase::kTrial: return "trial";
    case OtaPhase::kCommitted: return "committed";
    case OtaPhase::kRolledBack: return "rolled_back";
  }
  return "unknown";
}

}  // namespace linnet::serve
