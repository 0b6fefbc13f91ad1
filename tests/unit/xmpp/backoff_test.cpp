#include "xmpp/backoff.hpp"

#include <gtest/gtest.h>

namespace passerelle::xmpp {
namespace {
using std::chrono::milliseconds;

TEST(Backoff, GrowsCapsAndJitters) {
  Backoff b(milliseconds(1000), milliseconds(60000), 42);
  milliseconds expect_base(1000);
  for (int i = 0; i < 12; ++i) {
    const auto d = b.next();
    EXPECT_GE(d.count(), expect_base.count() / 2) << i;
    EXPECT_LE(d.count(), expect_base.count()) << i;
    expect_base = std::min(expect_base * 2, milliseconds(60000));
  }
  b.reset();
  EXPECT_LE(b.next().count(), 1000);
}

TEST(Backoff, DifferentSeedsSpread) {
  Backoff a(milliseconds(1000), milliseconds(60000), 1),
      b(milliseconds(1000), milliseconds(60000), 2);
  bool differ = false;
  for (int i = 0; i < 5; ++i) differ |= a.next() != b.next();
  EXPECT_TRUE(differ);
}

}  // namespace
}  // namespace passerelle::xmpp
