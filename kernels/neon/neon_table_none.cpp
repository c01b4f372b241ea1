// Not an aarch64 build: no NEON kernels.
#include "kernels/dispatch/kernel_table.h"

namespace linnet::kernels {

const KernelTable* neon_kernel_table() { return nullptr; }
const KernelTable* neon_dotprod_kernel_table() { return nullptr; }

}  // namespace linnet::kernels
