#include "xmpp/inbound.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "xmpp/strophe_adapter.hpp"

namespace passerelle::xmpp {
namespace {

xml::Element X(const char* text) {
  auto r = strophe::parse(text);
  EXPECT_TRUE(r) << text;
  return r ? *r : xml::Element();
}

// libstrophe keeps attributes in a hash table: compare them in name order.
void sort_attrs(xml::Element& e) {
  std::sort(e.attrs.begin(), e.attrs.end());
  for (auto& c : e.children) sort_attrs(c);
}

TEST(Parse, RoundTripsThroughLibstrophe) {
  const char* text =
      "<message from='a@e/r' id='m1' to='+33611111111@sms.e' type='chat'><body>salut &amp; "
      "&lt;3</body>"
      "<request xmlns='urn:xmpp:receipts'/></message>";
  auto e = X(text);
  sort_attrs(e);
  EXPECT_EQ(xml::to_string(e), text);
  EXPECT_FALSE(strophe::parse("<message><body></message>"));
}

TEST(Parse, MessageWithReceiptRequest) {
  auto m =
      parse_message(X("<message xmlns='jabber:component:accept' from='alice@example.org/pc' "
                      "to='+33611111111@sms.example.org' type='chat' id='abc'>"
                      "<body>hello</body><request xmlns='urn:xmpp:receipts'/>"
                      "<active xmlns='http://jabber.org/protocol/chatstates'/></message>"));
  EXPECT_EQ(m.from, "alice@example.org/pc");
  EXPECT_EQ(m.to, "+33611111111@sms.example.org");
  EXPECT_EQ(m.id, "abc");
  EXPECT_EQ(m.type, "chat");
  ASSERT_TRUE(m.body);
  EXPECT_EQ(*m.body, "hello");
  EXPECT_TRUE(m.wants_receipt);
  EXPECT_EQ(m.chat_state, ChatState::active);
}

TEST(Parse, ChatStateOnlyAndDefaults) {
  auto m =
      parse_message(X("<message from='a@e' to='p@sms.e'><composing "
                      "xmlns='http://jabber.org/protocol/chatstates'/></message>"));
  EXPECT_EQ(m.type, "normal");
  EXPECT_FALSE(m.body);
  EXPECT_EQ(m.chat_state, ChatState::composing);
  EXPECT_FALSE(m.wants_receipt);
  // A <body> in a foreign namespace is not the body.
  auto f = parse_message(X("<message from='a@e'><body xmlns='urn:other'>x</body></message>"));
  EXPECT_FALSE(f.body);
}

TEST(Parse, ReceiptAndError) {
  auto r =
      parse_message(X("<message from='a@e/r' to='p@sms.e'><received xmlns='urn:xmpp:receipts' "
                      "id='pa1'/></message>"));
  EXPECT_EQ(r.receipt_for, "pa1");
  auto e = parse_message(
      X("<message from='a@e' to='p@sms.e' type='error' id='pa2'><body>x</body>"
        "<request xmlns='urn:xmpp:receipts'/><error type='cancel'>"
        "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
        "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>gone</text></error></message>"));
  ASSERT_TRUE(e.error);
  EXPECT_EQ(e.error->condition, "service-unavailable");
  EXPECT_EQ(e.error->type, "cancel");
  EXPECT_EQ(e.error->text, "gone");
  EXPECT_FALSE(e.wants_receipt);  // never on errors (XEP-0184 §5.4)

  // As a bounce of what the bridge sent: a user who is offline, on a server that keeps
  // nothing, may come back (retryable); one that does not exist will not.
  auto bounce = bounce_report("xmpp", e);
  ASSERT_TRUE(bounce);
  EXPECT_EQ(bounce->network_id, "pa2");
  EXPECT_EQ(bounce->state, DeliveryState::failed);
  EXPECT_EQ(bounce->reason, "service-unavailable: gone");
  EXPECT_TRUE(bounce->retryable);
  auto gone = parse_message(
      X("<message from='a@e' type='error' id='pa3'><error type='cancel'>"
        "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"));
  EXPECT_FALSE(bounce_report("xmpp", gone)->retryable);
  auto later = parse_message(
      X("<message from='a@e' type='error' id='pa4'><error type='wait'>"
        "<resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"));
  EXPECT_TRUE(bounce_report("xmpp", later)->retryable);
}

TEST(Parse, OobLink) {
  auto m =
      parse_message(X("<message from='a@e'><body>see</body><x xmlns='jabber:x:oob'>"
                      "<url>https://e/f.png</url><desc>f</desc></x></message>"));
  ASSERT_EQ(m.links.size(), 1u);
  EXPECT_EQ(m.links[0].url, "https://e/f.png");
  EXPECT_EQ(m.links[0].name, "f");
}

TEST(Parse, Presence) {
  auto p = parse_presence(X(
      "<presence "
      "from='bob@e/phone'><show>away</show><status>out</status><priority>5</priority></presence>"));
  EXPECT_EQ(p.presence.state, PresenceState::away);
  EXPECT_EQ(p.presence.status, "out");
  EXPECT_EQ(p.priority, 5);
  auto n = parse_presence(X("<presence from='bob@e/x'><priority>-1</priority></presence>"));
  EXPECT_EQ(n.priority, -1);
  EXPECT_EQ(n.presence.state, PresenceState::available);
  auto junk = parse_presence(X("<presence from='bob@e/x'><priority>999</priority></presence>"));
  EXPECT_EQ(junk.priority, 0);
  auto u = parse_presence(X("<presence from='bob@e/x' type='unavailable'/>"));
  EXPECT_EQ(u.presence.state, PresenceState::offline);
  EXPECT_EQ(u.type, "unavailable");
}

TEST(Parse, RegisterForms) {
  auto get = parse_register(X("<iq type='get' id='r'><query xmlns='jabber:iq:register'/></iq>"));
  EXPECT_EQ(get.kind, RegisterRequest::Kind::form);

  auto legacy =
      parse_register(X("<iq type='set' id='r'><query xmlns='jabber:iq:register'><phone> +33 6 11 "
                       "</phone></query></iq>"));
  EXPECT_EQ(legacy.kind, RegisterRequest::Kind::set_phone);
  EXPECT_EQ(legacy.phone, "+33 6 11");

  auto form =
      parse_register(X("<iq type='set' id='r'><query xmlns='jabber:iq:register'><x "
                       "xmlns='jabber:x:data' type='submit'>"
                       "<field var='FORM_TYPE'><value>jabber:iq:register</value></field>"
                       "<field var='phone'><value>0611111111</value></field></x></query></iq>"));
  EXPECT_EQ(form.kind, RegisterRequest::Kind::set_phone);
  EXPECT_EQ(form.phone, "0611111111");

  auto rm = parse_register(
      X("<iq type='set' id='r'><query xmlns='jabber:iq:register'><remove/></query></iq>"));
  EXPECT_EQ(rm.kind, RegisterRequest::Kind::remove);

  auto empty = parse_register(
      X("<iq type='set' id='r'><query xmlns='jabber:iq:register'><phone/></query></iq>"));
  EXPECT_EQ(empty.kind, RegisterRequest::Kind::bad);
  EXPECT_FALSE(empty.problem.empty());

  auto wrong = parse_register(X("<iq type='set' id='r'><query xmlns='urn:other'/></iq>"));
  EXPECT_EQ(wrong.kind, RegisterRequest::Kind::bad);
}

TEST(Parse, RegisterFormShape) {
  const std::string s = xml::to_string(register_form("Enter it", "+33611111111"));
  EXPECT_NE(s.find("<query xmlns='jabber:iq:register'><instructions>Enter "
                   "it</instructions><phone>+33611111111</phone>"),
            std::string::npos);
  EXPECT_NE(s.find("<field type='text-single' var='phone' label='Phone "
                   "number'><value>+33611111111</value><required/></field>"),
            std::string::npos);
}

TEST(Parse, AccountRegistration) {
  const bool account = true;
  auto legacy = parse_register(X("<iq type='set' id='r'><query xmlns='jabber:iq:register'>"
                                 "<username> Alice SN </username><password> p w </password>"
                                 "</query></iq>"),
                               account);
  EXPECT_EQ(legacy.kind, RegisterRequest::Kind::set_account);
  EXPECT_EQ(legacy.username, "Alice SN");
  EXPECT_EQ(legacy.password, " p w ");  // a password is taken exactly as typed

  auto form =
      parse_register(X("<iq type='set' id='r'><query xmlns='jabber:iq:register'>"
                       "<username>ignored</username><x xmlns='jabber:x:data' type='submit'>"
                       "<field var='FORM_TYPE'><value>jabber:iq:register</value></field>"
                       "<field var='username'><value>alice@hotmail.com</value></field>"
                       "<field var='password' type='text-private'><value>secret</value></field></x>"
                       "</query></iq>"),
                     account);
  EXPECT_EQ(form.kind, RegisterRequest::Kind::set_account);
  EXPECT_EQ(form.username, "alice@hotmail.com");
  EXPECT_EQ(form.password, "secret");

  auto no_password = parse_register(X("<iq type='set' id='r'><query xmlns='jabber:iq:register'>"
                                      "<username>alicesn</username><password/></query></iq>"),
                                    account);
  EXPECT_EQ(no_password.kind, RegisterRequest::Kind::bad);
  EXPECT_NE(no_password.problem.find("password"), std::string::npos);
  auto no_user = parse_register(X("<iq type='set' id='r'><query xmlns='jabber:iq:register'>"
                                  "<password>x</password></query></iq>"),
                                account);
  EXPECT_EQ(no_user.kind, RegisterRequest::Kind::bad);
  // A phone on an account gateway is not an account.
  auto phone = parse_register(X("<iq type='set' id='r'><query xmlns='jabber:iq:register'>"
                                "<phone>+33611111111</phone></query></iq>"),
                              account);
  EXPECT_EQ(phone.kind, RegisterRequest::Kind::bad);
  auto rm = parse_register(
      X("<iq type='set' id='r'><query xmlns='jabber:iq:register'><remove/></query></iq>"), account);
  EXPECT_EQ(rm.kind, RegisterRequest::Kind::remove);
}

TEST(Parse, AccountRegisterFormShape) {
  const std::string s = xml::to_string(register_account_form("Link it", "Screen name"));
  EXPECT_NE(s.find("<instructions>Link it</instructions><username/><password/>"), std::string::npos)
      << s;
  EXPECT_NE(s.find("<field type='text-single' var='username' label='Screen name'><required/>"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("<field type='text-private' var='password' label='Password'><required/>"),
            std::string::npos)
      << s;
}

}  // namespace
}  // namespace passerelle::xmpp
