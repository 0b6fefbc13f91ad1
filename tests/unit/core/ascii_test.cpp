#include "core/ascii.hpp"

#include <gtest/gtest.h>

namespace passerelle {
namespace {

TEST(Ascii, CaseOfAsciiLettersOnly) {
  EXPECT_EQ(ascii_lower('A'), 'a');
  EXPECT_EQ(ascii_lower('Z'), 'z');
  EXPECT_EQ(ascii_lower('a'), 'a');
  EXPECT_EQ(ascii_lower('@'), '@');        // just before 'A'
  EXPECT_EQ(ascii_lower('['), '[');        // just after 'Z'
  EXPECT_EQ(ascii_lower('\xC9'), '\xC9');  // a byte of UTF-8 or Latin-1 stays as it is

  EXPECT_TRUE(ascii_iequals("Content-Type", "content-TYPE"));
  EXPECT_TRUE(ascii_iequals("", ""));
  EXPECT_FALSE(ascii_iequals("delivered", "deliveredx"));
  EXPECT_FALSE(ascii_iequals("delivered", "delivere"));
  EXPECT_FALSE(ascii_iequals("@", "`"));  // 0x40 and 0x60 differ by the case bit, not letters
  static_assert(ascii_iequals("DELIVRD", "delivrd"));
}

}  // namespace
}  // namespace passerelle
