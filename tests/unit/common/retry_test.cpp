// After a connection ends: the same states and waits for every account connector.

#include "common/retry.hpp"

#include <gtest/gtest.h>

namespace passerelle {
namespace {

TEST(PlanRetry, AWrongPasswordIsNotRetried) {
  int attempt = 3;
  auto p = plan_retry(EndClass::refused, "wrong password", false, attempt, 1000, 60000);
  EXPECT_EQ(p.state, LinkState::failed);
  EXPECT_EQ(p.reason, "wrong password");
  EXPECT_LT(p.wait_ms, 0);
  EXPECT_NE(p.log.find("registered again"), std::string::npos);
}

TEST(PlanRetry, SignedInElsewhereWaitsTheLongestBackoff) {
  int attempt = 0;
  auto p = plan_retry(EndClass::elsewhere, "signed in elsewhere", true, attempt, 1000, 60000);
  EXPECT_EQ(p.state, LinkState::failed);
  EXPECT_EQ(p.wait_ms, 60000);
  EXPECT_EQ(p.reason, "signed in elsewhere; trying again in 60 s");
}

TEST(PlanRetry, TransientEndsBackOffAndStartOverAfterBeingOnline) {
  int attempt = 0;
  std::int64_t last = 0;
  for (int i = 0; i < 12; ++i) {
    auto p = plan_retry(EndClass::transient, "connection reset", false, attempt, 100, 5000);
    EXPECT_EQ(p.state, LinkState::backing_off);
    EXPECT_LE(p.wait_ms, 5000);
    EXPECT_GT(p.wait_ms, 0);
    last = p.wait_ms;
  }
  EXPECT_EQ(attempt, 12);
  EXPECT_GE(last, 2500);  // capped, jittered near the cap
  auto p = plan_retry(EndClass::transient, "server gone", true, attempt, 100, 5000);
  EXPECT_EQ(attempt, 1);  // it had got online: from the start again
  EXPECT_LE(p.wait_ms, 200);
}

}  // namespace
}  // namespace passerelle
