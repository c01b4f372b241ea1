#include "runtime/core/result.h"

#include <gtest/gtest.h>

#include "runtime/core/sha256.h"

namespace linnet {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return Error(ErrorCode::kInvalidArgument, "value " + std::to_string(v) + " is not positive");
  return v;
}

Result<int> doubled(int v) {
  const int x = LINNET_TRY(parse_positive(v));
  return 2 * x;
}

Status check(int v) {
  LINNET_TRY(parse_positive(v));
  return ok_status();
}

TEST(ResultTest, PropagatesValueAndError) {
  auto good = doubled(21);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);

  auto bad = doubled(-3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message(), "value -3 is not positive");
  EXPECT_FALSE(check(0).ok());
  EXPECT_TRUE(check(1).ok());
}

TEST(ResultTest, ContextPrefixesMessage) {
  Error e = Error(ErrorCode::kCorrupt, "data ends beyond the file").with_context("tensor norm.weight");
  EXPECT_EQ(e.message(), "tensor norm.weight: data ends beyond the file");
  EXPECT_EQ(error_code_name(e.code()), "corrupt input");
}

// FIPS 180-2 test vector: SHA-256("abc").
TEST(Sha256Test, KnownVector) {
  const std::string abc = "abc";
  auto d = Sha256::of({reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size()});
  EXPECT_EQ(to_hex(d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace linnet
