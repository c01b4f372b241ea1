// Defaults that come from the board Linnet is built for (boards/<board>.board, compiled into
// linnet/boards_generated.h): the one place the CLI, the C API and the serial server take
// them from (through ExecutorOptions, runtime/model/executor_options.h).
#pragma once

namespace linnet {

// The build board's `threads` (host: 2, Raspberry Pi 4/5: 4); 1 if the board is not in the
// table.
int board_default_threads();

}  // namespace linnet
