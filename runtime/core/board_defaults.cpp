#include "runtime/core/board_defaults.h"

#include "linnet/boards_generated.h"

namespace linnet {

int board_default_threads() {
  for (const BoardProfile& b : kBoards) {
    if (b.name == kBuildBoard) return b.default_threads;
  }
  return 1;
}

}  // namespace linnet
