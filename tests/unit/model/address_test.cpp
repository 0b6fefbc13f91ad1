#include "model/address.hpp"

#include <gtest/gtest.h>

namespace passerelle {
namespace {

TEST(Address, CanonicalisesPerNetwork) {
  EXPECT_EQ(make_address(Network::aim, "Alice SN").value().id, "alicesn");
  EXPECT_EQ(make_address(Network::xmpp, "Alice@Example.ORG/phone").value().id, "alice@example.org");
  EXPECT_EQ(make_address(Network::msn, "Bob@Hotmail.com").value().id, "bob@hotmail.com");
  EXPECT_EQ(make_address(Network::icq, "123456789").value().str(), "icq:123456789");
  EXPECT_EQ(make_address(Network::sms, "+33612345678").value().str(), "sms:+33612345678");
}

TEST(Address, RejectsMalformed) {
  EXPECT_FALSE(make_address(Network::sms, "0612345678").ok());
  EXPECT_FALSE(make_address(Network::sms, "+0612345678").ok());
  EXPECT_FALSE(make_address(Network::icq, "12ab").ok());
  EXPECT_FALSE(make_address(Network::msn, "nobody").ok());
  EXPECT_FALSE(make_address(Network::xmpp, "a@b@c").ok());
  EXPECT_FALSE(make_address(Network::xmpp, "").ok());
  EXPECT_FALSE(parse_address("nonet:foo").ok());
  EXPECT_FALSE(parse_address("justtext").ok());
}

TEST(Address, ParsesRoundTrip) {
  auto a = parse_address("xmpp:carol@example.org");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->network, Network::xmpp);
  EXPECT_EQ(parse_address(a->str()).value(), *a);
}

}  // namespace
}  // namespace passerelle

#include "core/ulid.hpp"

namespace passerelle {
namespace {

TEST(Ulid, EncodesTimeAndSortsByIt) {
  const unsigned char zero[10] = {};
  EXPECT_EQ(make_ulid(0, zero), "00000000000000000000000000");
  const unsigned char ones[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(make_ulid((1ULL << 48) - 1, ones), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
  EXPECT_EQ(make_ulid(1469918176385ULL, zero).substr(0, 10), "01ARYZ6S41");
  const auto a = new_ulid();
  EXPECT_EQ(a.size(), 26u);
  EXPECT_NE(a, new_ulid());
}

}  // namespace
}  // namespace passerelle
