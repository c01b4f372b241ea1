// Exception boundaries. Linnet reports errors as values (result.h), but code under it can
// still throw: nlohmann::json, std::bad_alloc, std::system_error from a mutex, and
// Result::value() on an error (std::bad_variant_access: a bug, see result.h). An exception
// must never leave a thread's entry function (std::terminate) or a C API call (undefined
// behaviour in a C caller). Each such place is a boundary that turns whatever was thrown
// into an Error, with one helper per kind of boundary:
//   the C API:          capi_boundary() / capi_boundary_value() in runtime/capi/linnet_capi.cpp
//   a serial request:   Server::handle_line / run_job_at_boundary (an `internal` reply)
//   a thread's entry:   at_thread_entry() below (the server's worker, the store watcher);
//                       Server::run() for its reader; main() of linnet and linnet-convert
//   a thread-pool item: fatal (kernels/platform/thread_pool.h says why)
//   converter threads:  parallel_rows (converter/lib/quantize.h) rethrows on the caller
#pragma once

#include <string_view>
#include <utility>

#include "runtime/core/result.h"

namespace linnet {

// The exception being handled, as an Error "<where>: <what()>": kOutOfMemory for
// std::bad_alloc, kInternal for anything else ("unknown exception" when it is not a
// std::exception). Call only inside a catch block. Never throws: if even the message
// cannot be allocated, the Error carries the code and an empty message.
Error current_exception_error(std::string_view where) noexcept;

// A thread's entry: runs body(); if it throws, calls on_exception(const Error&) with
// current_exception_error(where) and returns (the thread ends). on_exception must not
// throw (it is called from a noexcept function: a throw there terminates).
template <typename Body, typename OnException>
void at_thread_entry(std::string_view where, Body&& body, OnException&& on_exception) noexcept {
  try {
    std::forward<Body>(body)();
  } catch (...) {
    const Error error = current_exception_error(where);
    std::forward<OnException>(on_exception)(error);
  }
}

}  // namespace linnet
