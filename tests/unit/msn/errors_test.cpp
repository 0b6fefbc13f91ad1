#include "msn/codec/errors.hpp"

#include <gtest/gtest.h>

namespace passerelle::msn {
namespace {

TEST(MsnErrors, KnownCodes) {
  auto e = find_error(217);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, ErrorKind::request);
  EXPECT_EQ(find_error(911)->kind, ErrorKind::account);
  EXPECT_EQ(find_error(600)->kind, ErrorKind::transient);
  EXPECT_EQ(find_error(713)->kind, ErrorKind::transient);
  EXPECT_EQ(find_error(540)->kind, ErrorKind::account);
  for (int c : {201, 205, 207, 208, 209, 210, 215, 216, 217, 218, 219, 223,
                280, 281, 500, 540, 600, 601, 713, 800, 911, 913, 914, 928}) {
    EXPECT_TRUE(find_error(c)) << c;
  }
}

TEST(MsnErrors, TableIsSortedAndNamed) {
  int last = 0;
  for (int c = 100; c < 1000; ++c) {
    if (auto e = find_error(c)) {
      EXPECT_GT(c, last);
      last = c;
      EXPECT_EQ(e->code, c);
      EXPECT_STRNE(e->name, "");
      EXPECT_STRNE(e->reason, "");
    }
  }
}

TEST(MsnErrors, UnknownCodesClassifiedByRange) {
  EXPECT_FALSE(find_error(299));
  EXPECT_EQ(classify(299), ErrorKind::request);
  EXPECT_EQ(classify(999), ErrorKind::transient);
}

TEST(MsnErrors, AsCoreError) {
  auto e = to_error(217);
  EXPECT_EQ(e.code, Errc::not_found);
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.protocol_status, 217);
  EXPECT_NE(e.message.find("offline"), std::string::npos);
  EXPECT_TRUE(to_error(600).retryable);
  EXPECT_EQ(to_error(911).code, Errc::not_allowed);
  EXPECT_EQ(to_error(555).protocol_status, 555);
}

}  // namespace
}  // namespace passerelle::msn
