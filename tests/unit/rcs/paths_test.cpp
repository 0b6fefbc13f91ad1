// Request paths (ids escaped into one segment each) and E.164 userContact.

#include "rcs/codec/paths.hpp"

#include <gtest/gtest.h>

#include "model/address.hpp"
#include "rcs/codec/phone.hpp"

namespace passerelle::rcs {
namespace {

TEST(RcsPaths, EscapeComponent) {
  EXPECT_EQ(escape_component("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(escape_component("a/b+c d%e?f#g&h=i"), "a%2Fb%2Bc%20d%25e%3Ff%23g%26h%3Di");
  EXPECT_EQ(escape_component("é"), "%C3%A9");
  EXPECT_EQ(escape_component(std::string("\0\xff", 2)), "%00%FF");
  EXPECT_EQ(escape_component(""), "");
}

TEST(RcsPaths, Calls) {
  auto p = ApiPaths::make("/bot/v1", "bot-a");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->messages(), "/bot/v1/bot-a/messages");
  EXPECT_EQ(p->files(), "/bot/v1/bot-a/files");
  EXPECT_EQ(p->message_status("01JABC").value(), "/bot/v1/bot-a/messages/01JABC/status");
  EXPECT_EQ(p->message_status("a/b+c=").value(), "/bot/v1/bot-a/messages/a%2Fb%2Bc%3D/status");
  EXPECT_EQ(p->file("F 1").value(), "/bot/v1/bot-a/files/F%201");
  EXPECT_EQ(p->capabilities("+14251234567").value(),
            "/bot/v1/bot-a/contactCapabilities?userContact=%2B14251234567");
  EXPECT_FALSE(p->capabilities("14251234567").ok());
  EXPECT_FALSE(p->message_status("").ok());
  EXPECT_FALSE(p->file(std::string(Limits{}.max_string + 1, 'f')).ok());

  auto rooted = ApiPaths::make("/rcs/bot/v1/", "sip:bot@example.com");
  ASSERT_TRUE(rooted.ok());
  EXPECT_EQ(rooted->messages(), "/rcs/bot/v1/sip%3Abot%40example.com/messages");
  EXPECT_EQ(rooted->bot_base(), "/rcs/bot/v1/sip%3Abot%40example.com");
}

TEST(RcsPaths, BadConfiguration) {
  for (const char* api :
       {"", "/", "bot/v1", "/bot v1", "/bot/v1?x=1", "/bot/v1#f", "/bot/\xc3\xa9"}) {
    EXPECT_FALSE(ApiPaths::make(api, "bot").ok()) << api;
  }
  EXPECT_FALSE(ApiPaths::make("/bot/v1", "").ok());
}

TEST(RcsPaths, Token) {
  EXPECT_EQ(token_path("").value(), "/oauth2/v1/token");
  EXPECT_EQ(token_path("/").value(), "/oauth2/v1/token");
  EXPECT_EQ(token_path("/rcs").value(), "/rcs/oauth2/v1/token");
  EXPECT_FALSE(token_path("rcs").ok());
}

TEST(RcsPhone, E164Only) {
  for (const char* good :
       {"+14251234567", "+33611111111", "+918919525224", "+12345678", "+123456789012345"}) {
    auto n = e164_from_user_contact(good);
    ASSERT_TRUE(n.ok()) << good;
    EXPECT_EQ(n.value(), good);
    EXPECT_EQ(user_contact_from_e164(good).value(), good);
  }
  for (const char* bad : {"", "+", "14251234567", "0611111111", "+0611111111", "tel:+14251234567",
                          "+1 425 123 4567", "+1-425-123-4567", "+1234567", "+1234567890123456",
                          "++14251234567", "+1425123456a", "+14251234567\n",
                          "\xef\xbc\x8b"
                          "14251234567"}) {
    auto n = e164_from_user_contact(bad);
    ASSERT_FALSE(n.ok()) << bad;
    EXPECT_EQ(n.error().code, Errc::invalid_input);
    EXPECT_NE(n.error().message.find("E.164"), std::string::npos) << n.error().message;
    EXPECT_FALSE(user_contact_from_e164(bad).ok()) << bad;
  }
}

TEST(RcsPhone, SameRuleAsTheCore) {
  // Every number the codec lets through makes an rcs: address, and no other.
  for (std::string s : {"+1", "+12", "+1234567", "+12345678", "+123456789012345",
                        "+1234567890123456", "+0123456789", "12345678"}) {
    EXPECT_EQ(e164_from_user_contact(s).ok(), make_address(Network::rcs, s).ok()) << s;
  }
}

TEST(RcsPhone, ErrorQuotesTheInputSafely) {
  auto n = e164_from_user_contact(std::string("+1\x01\n") + std::string(100, '9'));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().message.find('\n'), std::string::npos);
  EXPECT_LT(n.error().message.size(), 150u);
}

}  // namespace
}  // namespace passerelle::rcs
