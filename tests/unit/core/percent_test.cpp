#include "core/percent.hpp"

#include <gtest/gtest.h>

namespace passerelle {
namespace {

TEST(PercentEncode, KeepsOnlyTheUnreservedCharacters) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("alice@example.com"), "alice%40example.com");
  EXPECT_EQ(percent_encode("a b+c/d?e#f%"), "a%20b%2Bc%2Fd%3Fe%23f%25");
  EXPECT_EQ(percent_encode("é"), "%C3%A9");  // bytes, upper-case hex
  EXPECT_EQ(percent_encode(std::string_view("\0\xff", 2)), "%00%FF");
  EXPECT_EQ(percent_encode(""), "");
}

// Paths the bridge serves: a broken escape is refused.
TEST(PercentDecode, StrictRefusesBrokenEscapes) {
  EXPECT_EQ(percent_decode("report%20%C3%a9t%C3%A9.bin"), "report \xC3\xA9t\xC3\xA9.bin");
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("%41"), "A");
  for (std::string_view bad : {"%", "%4", "a%4", "%zz", "%4g", "%%41"})
    EXPECT_FALSE(percent_decode(bad).has_value()) << bad;
}

// Names and ids from other servers: a broken escape is kept as it is.
TEST(PercentDecode, LenientKeepsBrokenEscapes) {
  EXPECT_EQ(percent_decode_lenient("alice%40example.com"), "alice@example.com");
  EXPECT_EQ(percent_decode_lenient("%41"), "A");
  EXPECT_EQ(percent_decode_lenient("100%"), "100%");
  EXPECT_EQ(percent_decode_lenient("a%4"), "a%4");
  EXPECT_EQ(percent_decode_lenient("%zz%41"), "%zzA");
  EXPECT_EQ(percent_decode_lenient(percent_encode("x y/é%")), "x y/é%");
}

}  // namespace
}  // namespace passerelle
