#include "core/hex.hpp"

#include <gtest/gtest.h>

namespace passerelle {
namespace {

TEST(Hex, BothWays) {
  const unsigned char bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  EXPECT_EQ(to_hex(bytes, sizeof bytes), "00017f80abff");
  EXPECT_EQ(to_hex(bytes, 0), "");
  std::string back;
  ASSERT_TRUE(from_hex("00017F80abFF", back));
  EXPECT_EQ(back, std::string(reinterpret_cast<const char*>(bytes), sizeof bytes));
  ASSERT_TRUE(from_hex("", back));
  EXPECT_EQ(back, "");
}

TEST(Hex, Digits) {
  EXPECT_EQ(hex_digit('0'), 0);
  EXPECT_EQ(hex_digit('9'), 9);
  EXPECT_EQ(hex_digit('a'), 10);
  EXPECT_EQ(hex_digit('F'), 15);
  for (char c : {'g', 'G', '/', ':', '@', '`', ' ', '\0'}) EXPECT_EQ(hex_digit(c), -1) << c;
}

TEST(Hex, RefusesOddLengthsAndOtherCharacters) {
  std::string out;
  EXPECT_FALSE(from_hex("abc", out));
  EXPECT_FALSE(from_hex("zz", out));
  EXPECT_FALSE(from_hex("0g", out));
  EXPECT_FALSE(from_hex(" 0", out));
  EXPECT_FALSE(from_hex(std::string_view("0\0", 2), out));
}

}  // namespace
}  // namespace passerelle
