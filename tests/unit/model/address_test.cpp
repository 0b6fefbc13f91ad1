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
