#include "runtime/serve/stop_strings.h"

#include <gtest/gtest.h>

namespace linnet::serve {
namespace {

TEST(StopStringFilter, PassesTextThatCannotStartAStopString) {
  const std::vector<std::string> stops = {"END"};
  StopStringFilter f(stops);
  EXPECT_EQ(f.push("hello "), "hello ");
  EXPECT_EQ(f.push("world"), "world");
  EXPECT_FALSE(f.matched());
  EXPECT_EQ(f.flush(), "");
}

TEST(StopStringFilter, HoldsBackAPossibleStartAndDropsTheStopString) {
  const std::vector<std::string> stops = {"\n\nUser:"};
  StopStringFilter f(stops);
  EXPECT_EQ(f.push("answer.\n"), "answer.");
  EXPECT_EQ(f.push("\nUs"), "");
  EXPECT_EQ(f.push("er: more"), "");
  EXPECT_TRUE(f.matched());
  EXPECT_EQ(f.push("after"), "");
}

TEST(StopStringFilter, ReleasesTheTailWhenItStopsMatching) {
  const std::vector<std::string> stops = {"ABC"};
  StopStringFilter f(stops);
  EXPECT_EQ(f.push("xAB"), "x");
  EXPECT_EQ(f.push("D"), "ABD");
  EXPECT_EQ(f.push("A"), "");
  EXPECT_EQ(f.flush(), "A");
  EXPECT_FALSE(f.matched());
}

TEST(StopStringFilter, EarliestOfSeveralStopsWinsWithinOnePiece) {
  const std::vector<std::string> stops = {"two", "one"};
  StopStringFilter f(stops);
  EXPECT_EQ(f.push("zero one two"), "zero ");
  EXPECT_TRUE(f.matched());
}

TEST(StopStringFilter, OverlappingPrefixes) {
  const std::vector<std::string> stops = {"aab"};
  StopStringFilter f(stops);
  EXPECT_EQ(f.push("a"), "");
  EXPECT_EQ(f.push("a"), "");
  EXPECT_EQ(f.push("a"), "a");  // "aaa": only the last "aa" can still start "aab"
  EXPECT_EQ(f.push("b"), "");
  EXPECT_TRUE(f.matched());
}

}  // namespace
}  // namespace linnet::serve
