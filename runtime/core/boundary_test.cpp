#include "runtime/core/boundary.h"

#include <gtest/gtest.h>

#include <new>
#include <optional>
#include <stdexcept>

namespace linnet {
namespace {

Error caught(void (*thrower)()) {
  try {
    thrower();
  } catch (...) {
    return current_exception_error("here");
  }
  return Error(ErrorCode::kOk, "nothing thrown");
}

TEST(Boundary, NamesWhatWasThrown) {
  Error e = caught([] { throw std::runtime_error("boom"); });
  EXPECT_EQ(e.code(), ErrorCode::kInternal);
  EXPECT_EQ(e.message(), "here: boom");

  e = caught([] { throw std::bad_alloc(); });
  EXPECT_EQ(e.code(), ErrorCode::kOutOfMemory);
  EXPECT_EQ(e.message(), "here: out of memory");

  e = caught([] { throw 42; });
  EXPECT_EQ(e.code(), ErrorCode::kInternal);
  EXPECT_EQ(e.message(), "here: unknown exception");
}

// Result::value() on an error throws (a bug in the caller); a boundary reports it.
TEST(Boundary, ValueOfAnErrorResultIsCaught) {
  Error e = caught([] {
    Result<int> r = Error(ErrorCode::kIo, "disk gone");
    [[maybe_unused]] int v = r.value();
  });
  EXPECT_EQ(e.code(), ErrorCode::kInternal);
  EXPECT_TRUE(e.message().starts_with("here: ")) << e.message();
}

TEST(Boundary, ThreadEntryHandsTheExceptionOverAndReturns) {
  std::optional<Error> seen;
  at_thread_entry("worker", [] { throw std::logic_error("bad state"); },
                  [&](const Error& e) noexcept { seen = e; });
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->message(), "worker: bad state");

  bool ran = false;
  seen.reset();
  at_thread_entry("worker", [&] { ran = true; }, [&](const Error& e) noexcept { seen = e; });
  EXPECT_TRUE(ran);
  EXPECT_FALSE(seen.has_value());
}

}  // namespace
}  // namespace linnet
