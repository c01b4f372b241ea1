// Errors as values: every fallible call returns Result<T> (or Status = Result<void>)
// carrying an ErrorCode and a message that names what failed, e.g.
//   "tensor layers.3.self_attn.q_proj: data ends beyond the file".
// No exceptions cross the runtime; a hostile input never aborts the process.
// value() (and * and ->) on an error is a bug in the caller (check ok() first, or use
// LINNET_TRY): it throws std::bad_variant_access, which the exception boundaries
// (core/boundary.h) turn into a kInternal error at a C API call, a serial request or a
// thread's entry, so it never escapes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace linnet {

// Grouped by who is at fault: the caller, the input data, the platform, or us.
enum class ErrorCode : std::uint8_t {
  kOk = 0,
  // The caller asked for something invalid.
  kInvalidArgument = 1,
  kOutOfRange = 2,
  kFailedPrecondition = 3,  // e.g. decode before prefill, a call out of order
  kCancelled = 4,
  // The input data is bad.
  kCorrupt = 16,        // a bundle, request or update that fails validation
  kUnsupported = 17,    // valid but not something Linnet handles (dtype, model type)
  kVerification = 18,   // a hash or signature that does not match
  kNumeric = 19,        // the model computed NaN or infinity (damaged weights): no answer
  // The platform failed.
  kIo = 32,
  kOutOfMemory = 33,
  kNotFound = 34,
  kNoSpace = 35,
  // A bug in Linnet or a dependency.
  kInternal = 48,
};

std::string_view error_code_name(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with context: Error(...).with_context("bundle m.linnet")
  // gives "bundle m.linnet: <message>".
  Error with_context(std::string_view context) && {
    message_.insert(0, std::string(context) + ": ");
    return std::move(*this);
  }

 private:
  ErrorCode code_;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  void value() const {}

  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_{ErrorCode::kOk, {}};
  bool failed_ = false;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

// The one error-propagation macro. Evaluates `expr` (a Result<T> or Status); on error
// returns the Error from the enclosing function, otherwise yields the value:
//   auto file = LINNET_TRY(MappedFile::open(path));
//   LINNET_TRY(check_shape(t));
// Uses a GNU statement expression (GCC and Clang both support it).
#define LINNET_TRY(expr)                                  \
  ({                                                      \
    auto&& linnet_try_result_ = (expr);                   \
    if (!linnet_try_result_.ok())                         \
      return std::move(linnet_try_result_).error();       \
    std::move(linnet_try_result_).value();                \
  })

}  // namespace linnet
