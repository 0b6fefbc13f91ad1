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

}  // namespace
}  // namespace passerelle
