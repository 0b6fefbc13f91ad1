// ISO 8601 timestamps as the MaaP API writes them.

#include "rcs/codec/time.hpp"

#include <gtest/gtest.h>

namespace passerelle::rcs {
namespace {

using std::chrono::milliseconds;

std::int64_t ms(std::string_view s) {
  auto t = parse_timestamp(s);
  EXPECT_TRUE(t) << s;
  return t ? t->time_since_epoch().count() : -1;
}

TEST(RcsTime, Forms) {
  EXPECT_EQ(ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ms("1970-01-01T00:00:00"), 0);  // no zone: UTC
  EXPECT_EQ(ms("1970-01-01T00:00:01.5Z"), 1500);
  EXPECT_EQ(ms("1970-01-01T00:00:01.123456789Z"), 1123);
  EXPECT_EQ(ms("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(ms("1969-12-31T23:00:00-0100"), 0);
  EXPECT_EQ(ms("1970-01-01t00:00:00z"), 0);
  EXPECT_EQ(ms("2017-09-26T01:33:20.315Z"), 1506389600315);
  EXPECT_EQ(ms("2024-02-29T00:00:00Z"), 1709164800000);
}

TEST(RcsTime, Refused) {
  for (const char* bad :
       {"", "2017-09-26", "2017-09-26 01:33:20Z", "2017-9-26T01:33:20Z", "2017-09-26T01:33Z",
        "2017-09-26T01:33:20.Z", "2017-09-26T24:00:00Z", "2017-13-01T00:00:00Z",
        "2023-02-29T00:00:00Z", "2017-09-26T01:33:20+1", "2017-09-26T01:33:20+24:00",
        "2017-09-26T01:33:20Zjunk", "1506389600", "２017-09-26T01:33:20Z"}) {
    EXPECT_FALSE(parse_timestamp(bad)) << bad;
  }
}

TEST(RcsTime, FormatRoundTrips) {
  EXPECT_EQ(format_timestamp(Millis{milliseconds{0}}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(Millis{milliseconds{1506389600315}}), "2017-09-26T01:33:20.315Z");
  for (std::int64_t v : {0LL, 1LL, 999LL, 951782400000LL, 4102444799999LL, 253402300799999LL}) {
    const Millis t{milliseconds{v}};
    EXPECT_EQ(parse_timestamp(format_timestamp(t)), t) << v;
  }
}

}  // namespace
}  // namespace passerelle::rcs
