#include "xmpp/jid.hpp"

#include <gtest/gtest.h>

namespace passerelle::xmpp {
namespace {

TEST(Jid, ParsesShapes) {
  auto j = parse_jid("Alice@Example.ORG/phone");
  ASSERT_TRUE(j);
  EXPECT_EQ(j->local, "Alice");
  EXPECT_EQ(j->domain, "example.org");
  EXPECT_EQ(j->resource, "phone");
  EXPECT_EQ(j->bare(), "Alice@example.org");
  EXPECT_EQ(j->full(), "Alice@example.org/phone");

  auto d = parse_jid("sms.example.org");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->local.empty());
  EXPECT_EQ(d->full(), "sms.example.org");

  auto r = parse_jid("a@b/c/d@e");  // resource may hold / and @
  ASSERT_TRUE(r);
  EXPECT_EQ(r->resource, "c/d@e");
}

TEST(Jid, RejectsMalformed) {
  for (const char* bad : {"", "@example.org", "a@", "a@b@c", "a b@example.org", "a@exa mple.org",
                          "a@example.org/", "a:b@example.org", "a<b@example.org", ".example.org",
                          "example.org.", "a@/r", "\x01@example.org"})
    EXPECT_FALSE(parse_jid(bad)) << bad;
}

// XEP-0106 §5 (examples).
TEST(Jid, EscapesLikeXep0106) {
  const std::pair<const char*, const char*> cases[] = {
      {"space cadet", "space\\20cadet"},
      {"call me \"ishmael\"", "call\\20me\\20\\22ishmael\\22"},
      {"at&t guy", "at\\26t\\20guy"},
      {"d'artagnan", "d\\27artagnan"},
      {"/.fanboy", "\\2f.fanboy"},
      {"::foo::", "\\3a\\3afoo\\3a\\3a"},
      {"<foo>", "\\3cfoo\\3e"},
      {"user@host", "user\\40host"},
      {"c:\\net", "c\\3a\\net"},
      {"c:\\\\net", "c\\3a\\\\net"},
      {"c:\\cool stuff", "c\\3a\\cool\\20stuff"},
      {"c:\\5commas", "c\\3a\\5c5commas"},
      {"+33611111111", "+33611111111"},
  };
  for (const auto& [raw, escaped] : cases) {
    EXPECT_EQ(escape_localpart(raw), escaped) << raw;
    EXPECT_EQ(unescape_localpart(escaped), raw) << escaped;
    EXPECT_TRUE(parse_jid(std::string(escape_localpart(raw)) + "@msn.example.org")) << raw;
  }
  EXPECT_EQ(unescape_localpart("bob\\40Hotmail.com"), "bob@Hotmail.com");
  EXPECT_EQ(unescape_localpart("x\\2F\\3A"), "x/:");  // upper-case hex accepted
  EXPECT_EQ(unescape_localpart("a\\zz\\4"), "a\\zz\\4");
}

TEST(Jid, EscapeRoundTripsEveryPrintable) {
  std::string all;
  for (int c = 0x20; c < 0x7f; ++c) all += static_cast<char>(c);
  EXPECT_EQ(unescape_localpart(escape_localpart(all)), all);
  for (const char* s : {"\\20", "\\\\20", "a\\5c", "\\"})
    EXPECT_EQ(unescape_localpart(escape_localpart(s)), s) << s;
}

class AddressMapTest : public ::testing::Test {
 protected:
  AddressMap map{"Example.org", {Network::sms, Network::msn, Network::aim}};
};

TEST_F(AddressMapTest, AddressToJid) {
  EXPECT_EQ(map.domain_of(Network::sms), "sms.example.org");
  EXPECT_EQ(*map.to_jid({Network::sms, "+33611111111"}), "+33611111111@sms.example.org");
  EXPECT_EQ(*map.to_jid({Network::msn, "bob@hotmail.com"}), "bob\\40hotmail.com@msn.example.org");
  EXPECT_EQ(*map.to_jid({Network::aim, "bob sn"}), "bob\\20sn@aim.example.org");
  EXPECT_EQ(*map.to_jid({Network::xmpp, "alice@example.org"}), "alice@example.org");
  EXPECT_EQ(*map.to_jid({Network::msn, ""}), "msn.example.org");  // the gateway itself
  auto r = map.to_jid({Network::icq, "123456"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
}

TEST_F(AddressMapTest, JidToAddress) {
  EXPECT_EQ(*map.to_address("+33611111111@sms.example.org/x"),
            (Address{Network::sms, "+33611111111"}));
  // Not E.164: passed through as typed for the router to normalise.
  EXPECT_EQ(*map.to_address("0611111111@sms.example.org"), (Address{Network::sms, "0611111111"}));
  EXPECT_EQ(*map.to_address("+33\\206\\2011\\2011@sms.example.org"),
            (Address{Network::sms, "+33 6 11 11"}));
  EXPECT_EQ(*map.to_address("Bob\\40Hotmail.com@msn.example.org"),
            (Address{Network::msn, "bob@hotmail.com"}));
  EXPECT_EQ(*map.to_address("Alice@Example.org/res"),
            (Address{Network::xmpp, "alice@example.org"}));
  // A domain we do not serve is a plain JID.
  EXPECT_EQ(*map.to_address("x@icq.example.org"), (Address{Network::xmpp, "x@icq.example.org"}));
  EXPECT_EQ(map.to_address("sms.example.org").error().code, Errc::invalid_input);
  EXPECT_EQ(map.to_address("nobody@msn.example.org").error().code, Errc::invalid_input);
  EXPECT_EQ(map.to_address("not a jid").error().code, Errc::invalid_input);
}

TEST_F(AddressMapTest, RoundTrip) {
  for (const Address& a :
       {Address{Network::sms, "+33611111111"}, Address{Network::msn, "a/b:c@x.com"},
        Address{Network::aim, "c:\\cool stuff"}, Address{Network::xmpp, "a@b.c"}}) {
    auto j = map.to_jid(a);
    ASSERT_TRUE(j) << a.str();
    auto back = map.to_address(*j);
    ASSERT_TRUE(back) << *j;
    auto canon = make_address(a.network, a.id);
    EXPECT_EQ(*back, canon ? *canon : a) << *j;
  }
}

TEST(Jid, PromptTranslation) {
  EXPECT_EQ(prompt_to_localpart(Network::sms, " +33 6 11.11-11 (11) "), "+33611111111");
  EXPECT_EQ(prompt_to_localpart(Network::msn, "bob@hotmail.com"), "bob\\40hotmail.com");
  EXPECT_EQ(prompt_to_localpart(Network::aim, "Bob SN"), "Bob\\20SN");
  EXPECT_EQ(prompt_to_localpart(Network::sms, "   "), "");
}

}  // namespace
}  // namespace passerelle::xmpp
