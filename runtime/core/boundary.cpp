#include "runtime/core/boundary.h"

#include <exception>
#include <new>
#include <string>

namespace linnet {

Error current_exception_error(std::string_view where) noexcept {
  ErrorCode code = ErrorCode::kInternal;
  const char* what = "unknown exception";
  try {
    throw;
  } catch (const std::bad_alloc&) {
    code = ErrorCode::kOutOfMemory;
    what = "out of memory";
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  try {
    std::string message(where);
    message += ": ";
    message += what;
    return Error(code, std::move(message));
  } catch (...) {
    return Error(code, std::string());  // empty: no allocation
  }
}

}  // namespace linnet
