#include "xmpp/component_session.hpp"

#include <gtest/gtest.h>

#include "fake_env.hpp"

namespace passerelle::xmpp {
namespace {
using testing::FakeEnv;
using testing::parse;

class ComponentTest : public ::testing::Test {
 protected:
  AddressMap map{"example.org", {Network::sms}};
  FakeEnv fake;
  std::unique_ptr<ComponentSession> s;
  void SetUp() override {
    ComponentOptions o;
    o.network = Network::sms;
    o.map = &map;
    o.access.allow_domains = {"example.org"};
    s = std::make_unique<ComponentSession>(o, fake.env());
  }
  void feed(const std::string& xml) { s->on_stanza(parse(xml)); }
  bool sent_contains(const std::string& needle) const {
    for (const auto& x : fake.sent)
      if (x.find(needle) != std::string::npos) return true;
    return false;
  }
};

TEST_F(ComponentTest, MessageToPuppetBecomesInboundMessage) {
  feed(
      "<message from='alice@example.org/pc' to='+33611111111@sms.example.org' type='chat' id='o1'>"
      "<body>hi</body><request xmlns='urn:xmpp:receipts'/></message>");
  auto* m = fake.last<InboundMessage>();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->connector, "xmpp");
  EXPECT_EQ(m->from, (Address{Network::xmpp, "alice@example.org"}));
  EXPECT_EQ(m->to, (Address{Network::sms, "+33611111111"}));
  EXPECT_EQ(m->body, "hi");
  EXPECT_EQ(m->origin_id, "o1");
  EXPECT_TRUE(m->wants_receipt);
  EXPECT_TRUE(fake.sent.empty());
  m->ack(Status{});
  fake.run_posted();
  EXPECT_TRUE(fake.sent.empty());  // ok: nothing visible (receipts come from the router)
}

TEST_F(ComponentTest, RefusedMessageGetsStanzaErrorToTheSendingResource) {
  feed(
      "<message from='mallory@evil.org/x' to='+33611111111@sms.example.org' type='chat' "
      "id='o2'><body>spam</body></message>");
  auto* m = fake.last<InboundMessage>();
  ASSERT_NE(m, nullptr);
  m->ack(Error::forbidden("you may not use this gateway"));
  m->ack(Error::forbidden("twice"));  // ignored
  EXPECT_TRUE(fake.sent.empty());     // posted, not yet run
  fake.run_posted();
  ASSERT_EQ(fake.sent.size(), 1u);
  EXPECT_EQ(
      fake.sent[0],
      "<message from='+33611111111@sms.example.org' to='mallory@evil.org/x' type='error' id='o2'>"
      "<error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
      "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>you may not use this "
      "gateway</text></error></message>");
}

TEST_F(ComponentTest, RawLocalpartPassesThrough) {
  feed(
      "<message from='alice@example.org/pc' to='06\\2011\\2011@sms.example.org' "
      "id='o3'><body>x</body></message>");
  auto* m = fake.last<InboundMessage>();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->to, (Address{Network::sms, "06 11 11"}));
}

TEST_F(ComponentTest, MessageToDomainIsJidMalformed) {
  feed(
      "<message from='alice@example.org/pc' to='sms.example.org' type='chat' "
      "id='o4'><body>x</body></message>");
  EXPECT_EQ(fake.last<InboundMessage>(), nullptr);
  ASSERT_EQ(fake.sent.size(), 1u);
  EXPECT_NE(fake.sent[0].find("type='error' id='o4'"), std::string::npos);
  EXPECT_NE(fake.sent[0].find("<jid-malformed"), std::string::npos);
  EXPECT_NE(fake.sent[0].find("to='alice@example.org/pc'"), std::string::npos);
}

TEST_F(ComponentTest, ErrorsAreNeverAnswered) {
  feed(
      "<message from='alice@example.org/pc' to='sms.example.org' type='error' id='pa9'><error "
      "type='cancel'>"
      "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
  EXPECT_TRUE(fake.sent.empty());
  auto* r = fake.last<DeliveryReport>();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->network_id, "pa9");
  EXPECT_EQ(r->state, DeliveryState::failed);
  EXPECT_EQ(r->reason, "item-not-found");
}

TEST_F(ComponentTest, ChatStatesAndReceipts) {
  feed(
      "<message from='alice@example.org/pc' to='+33611111111@sms.example.org' type='chat'>"
      "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
  auto* cs = fake.last<InboundChatState>();
  ASSERT_NE(cs, nullptr);
  EXPECT_EQ(cs->state, ChatState::composing);
  EXPECT_EQ(cs->to, (Address{Network::sms, "+33611111111"}));
  feed(
      "<message from='alice@example.org/pc' to='+33611111111@sms.example.org'>"
      "<received xmlns='urn:xmpp:receipts' id='id7'/></message>");
  auto* r = fake.last<DeliveryReport>();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->network_id, "id7");
  EXPECT_EQ(r->state, DeliveryState::delivered);
  EXPECT_TRUE(fake.sent.empty());
}

TEST_F(ComponentTest, DiscoInfo) {
  feed(
      "<iq from='alice@example.org/pc' to='sms.example.org' type='get' id='d1'>"
      "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  ASSERT_EQ(fake.sent.size(), 1u);
  const auto& r = fake.sent[0];
  EXPECT_NE(r.find("type='result' id='d1'"), std::string::npos);
  EXPECT_NE(r.find("<identity category='gateway' type='sms'"), std::string::npos);
  for (const char* f :
       {"jabber:iq:register", "urn:xmpp:receipts", "http://jabber.org/protocol/chatstates",
        "http://jabber.org/protocol/disco#items", "jabber:iq:gateway"})
    EXPECT_NE(r.find(std::string("var='") + f + "'"), std::string::npos) << f;
  fake.clear();
  feed(
      "<iq from='alice@example.org/pc' to='+33611111111@sms.example.org' type='get' id='d2'>"
      "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  ASSERT_EQ(fake.sent.size(), 1u);
  EXPECT_NE(fake.sent[0].find("<identity category='client' type='phone'"), std::string::npos);
  fake.clear();
  feed(
      "<iq from='alice@example.org/pc' to='sms.example.org' type='get' id='d3'>"
      "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
  EXPECT_EQ(fake.sent.at(0),
            "<iq from='sms.example.org' to='alice@example.org/pc' type='result' id='d3'>"
            "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
}

TEST_F(ComponentTest, UnknownIqIsServiceUnavailable) {
  feed(
      "<iq from='alice@example.org/pc' to='sms.example.org' type='get' id='u1'><vCard "
      "xmlns='vcard-temp'/></iq>");
  feed(
      "<iq from='alice@example.org/pc' to='+336@sms.example.org' type='set' id='u2'><query "
      "xmlns='jabber:iq:register'/></iq>");
  feed("<iq from='alice@example.org/pc' to='sms.example.org' type='result' id='u3'/>");
  ASSERT_EQ(fake.sent.size(), 2u);
  EXPECT_NE(fake.sent[0].find("id='u1'><error type='cancel'><service-unavailable"),
            std::string::npos);
  EXPECT_NE(fake.sent[1].find("id='u2'><error type='cancel'><service-unavailable"),
            std::string::npos);
}

TEST_F(ComponentTest, Registration) {
  feed(
      "<iq from='alice@example.org/pc' to='sms.example.org' type='get' id='r1'><query "
      "xmlns='jabber:iq:register'/></iq>");
  ASSERT_EQ(fake.sent.size(), 1u);
  EXPECT_NE(fake.sent[0].find("<phone/>"), std::string::npos);
  EXPECT_NE(fake.sent[0].find("<instructions>"), std::string::npos);
  fake.clear();

  feed(
      "<iq from='alice@example.org/pc' to='sms.example.org' type='set' id='r2'>"
      "<query xmlns='jabber:iq:register'><phone>06 11 11 11 11</phone></query></iq>");
  auto* reg = fake.last<Registration>();
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->user, (Address{Network::xmpp, "alice@example.org"}));
  EXPECT_EQ(reg->phone, "06 11 11 11 11");
  EXPECT_FALSE(reg->remove);
  EXPECT_TRUE(fake.sent.empty());
  reg->ack(Status{});
  fake.run_posted();
  ASSERT_EQ(fake.sent.size(), 1u);
  EXPECT_EQ(fake.sent[0],
            "<iq from='sms.example.org' to='alice@example.org/pc' type='result' id='r2'/>");
  fake.clear();

  feed(
      "<iq from='alice@example.org/pc' to='sms.example.org' type='set' id='r3'>"
      "<query xmlns='jabber:iq:register'><phone>12</phone></query></iq>");
  fake.last<Registration>()->ack(Error::invalid("'12' is not a phone number"));
  fake.run_posted();
  ASSERT_EQ(fake.sent.size(), 1u);
  EXPECT_NE(fake.sent[0].find("type='error' id='r3'><error type='modify'><bad-request"),
            std::string::npos);
  fake.clear();

  feed(
      "<iq from='alice@example.org/pc' to='sms.example.org' type='set' id='r4'>"
      "<query xmlns='jabber:iq:register'><remove/></query></iq>");
  ASSERT_NE(fake.last<Registration>(), nullptr);
  EXPECT_TRUE(fake.last<Registration>()->remove);
}

TEST_F(ComponentTest, GatewayPrompt) {
  feed(
      "<iq from='alice@example.org/pc' to='sms.example.org' type='set' id='g1'>"
      "<query xmlns='jabber:iq:gateway'><prompt>+33 6 11 11 11 11</prompt></query></iq>");
  ASSERT_EQ(fake.sent.size(), 1u);
  EXPECT_NE(fake.sent[0].find("<jid>+33611111111@sms.example.org</jid>"), std::string::npos);
}

TEST_F(ComponentTest, SubscriptionHandshake) {
  feed(
      "<presence from='alice@example.org/pc' to='+33611111111@sms.example.org' type='subscribe'/>");
  auto* sub = fake.last<InboundSubscription>();
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->action, SubscriptionAction::subscribe);
  EXPECT_EQ(sub->to, (Address{Network::sms, "+33611111111"}));
  ASSERT_EQ(fake.sent.size(), 3u);
  EXPECT_EQ(
      fake.sent[0],
      "<presence from='+33611111111@sms.example.org' to='alice@example.org' type='subscribed'/>");
  EXPECT_EQ(
      fake.sent[1],
      "<presence from='+33611111111@sms.example.org' to='alice@example.org' type='subscribe'/>");
  EXPECT_EQ(fake.sent[2], "<presence from='+33611111111@sms.example.org' to='alice@example.org'/>");
  fake.clear();
  feed("<presence from='mallory@evil.org/x' to='+33611111111@sms.example.org' type='subscribe'/>");
  ASSERT_EQ(fake.sent.size(), 1u);
  EXPECT_NE(fake.sent[0].find("type='unsubscribed'"), std::string::npos);
  EXPECT_EQ(fake.last<InboundSubscription>(), nullptr);
  fake.clear();
  feed(
      "<presence from='alice@example.org/pc' to='+33611111111@sms.example.org' "
      "type='unsubscribe'/>");
  EXPECT_EQ(fake.last<InboundSubscription>()->action, SubscriptionAction::unsubscribe);
  EXPECT_NE(fake.sent.at(0).find("type='unsubscribed'"), std::string::npos);
}

TEST_F(ComponentTest, ProbesAreAnswered) {
  feed("<presence from='alice@example.org' to='+33611111111@sms.example.org' type='probe'/>");
  feed("<presence from='alice@example.org' to='sms.example.org' type='probe'/>");
  ASSERT_EQ(fake.sent.size(), 2u);
  EXPECT_EQ(fake.sent[0], "<presence from='+33611111111@sms.example.org' to='alice@example.org'/>");
  EXPECT_EQ(fake.sent[1], "<presence from='sms.example.org' to='alice@example.org'/>");
}

TEST_F(ComponentTest, AUserIsOfflineOnlyWhenTheirLastResourceIs) {
  auto last = [&] { return fake.last<InboundPresence>()->presence.state; };
  feed("<presence from='alice@example.org/pc' to='sms.example.org'><show>away</show></presence>");
  EXPECT_EQ(last(), PresenceState::away);
  feed("<presence from='alice@example.org/phone' to='sms.example.org'/>");
  EXPECT_EQ(last(), PresenceState::available);  // the best of the two
  feed("<presence from='alice@example.org/phone' to='sms.example.org' type='unavailable'/>");
  EXPECT_EQ(last(), PresenceState::away);  // the pc is still there
  feed("<presence from='alice@example.org/pc' to='sms.example.org' type='unavailable'/>");
  EXPECT_EQ(last(), PresenceState::offline);
  // An unavailable presence from a resource never seen is passed on as it is.
  feed("<presence from='bob@example.org/x' to='sms.example.org' type='unavailable'/>");
  EXPECT_EQ(last(), PresenceState::offline);
}

class AccountGatewayTest : public ComponentTest {
 protected:
  AddressMap aim_map{"example.org", {Network::aim}};
  void SetUp() override {
    ComponentOptions o;
    o.network = Network::aim;
    o.map = &aim_map;
    o.access.allow_domains = {"example.org"};
    s = std::make_unique<ComponentSession>(o, fake.env());
  }
};

TEST_F(AccountGatewayTest, RegistrationLinksAnAccount) {
  feed(
      "<iq from='alice@example.org/pc' to='aim.example.org' type='get' id='r1'><query "
      "xmlns='jabber:iq:register'/></iq>");
  ASSERT_EQ(fake.sent.size(), 1u);
  EXPECT_NE(fake.sent[0].find("<username/><password/>"), std::string::npos) << fake.sent[0];
  EXPECT_NE(fake.sent[0].find("label='Screen name'"), std::string::npos) << fake.sent[0];
  fake.clear();

  feed(
      "<iq from='alice@example.org/pc' to='aim.example.org' type='set' id='r2'><query "
      "xmlns='jabber:iq:register'><username>Alice SN</username><password>pw</password></query>"
      "</iq>");
  auto* reg = fake.last<Registration>();
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->network, Network::aim);
  EXPECT_EQ(reg->login, "Alice SN");
  EXPECT_EQ(reg->password, "pw");
  reg->ack(Status{});
  fake.run_posted();
  // XEP-0100: the result, then the gateway asks to be in the user's roster.
  ASSERT_EQ(fake.sent.size(), 2u);
  EXPECT_EQ(fake.sent[0],
            "<iq from='aim.example.org' to='alice@example.org/pc' type='result' id='r2'/>");
  EXPECT_EQ(fake.sent[1],
            "<presence from='aim.example.org' to='alice@example.org' type='subscribe'/>");
  fake.clear();

  // No password: refused by the component itself.
  feed(
      "<iq from='alice@example.org/pc' to='aim.example.org' type='set' id='r3'><query "
      "xmlns='jabber:iq:register'><username>alicesn</username></query></iq>");
  ASSERT_EQ(fake.sent.size(), 1u);
  EXPECT_NE(fake.sent[0].find("bad-request"), std::string::npos);
  fake.clear();

  feed(
      "<iq from='alice@example.org/pc' to='aim.example.org' type='set' id='r4'>"
      "<query xmlns='jabber:iq:register'><remove/></query></iq>");
  ASSERT_TRUE(fake.last<Registration>()->remove);
  fake.last<Registration>()->ack(Status{});
  fake.run_posted();
  ASSERT_EQ(fake.sent.size(), 3u);
  EXPECT_NE(fake.sent[1].find("type='unsubscribe'"), std::string::npos);
  EXPECT_NE(fake.sent[2].find("type='unsubscribed'"), std::string::npos);
}

TEST_F(AccountGatewayTest, TheGatewaysPresenceIsTheAccountsNotAnAutomaticAnswer) {
  feed("<presence from='alice@example.org' to='aim.example.org' type='probe'/>");
  feed("<presence from='alice@example.org/pc' to='aim.example.org'/>");
  EXPECT_TRUE(fake.sent.empty());  // the router sends the linked account's state
  ASSERT_NE(fake.last<InboundPresence>(), nullptr);
}

TEST_F(ComponentTest, OutboundEvents) {
  OutboundMessage m;
  m.from = {Network::sms, "+33611111111"};
  m.to = {Network::xmpp, "alice@example.org"};
  m.body = "reply";
  auto id = s->send(m);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "id1");
  EXPECT_EQ(fake.sent.back(),
            "<message from='+33611111111@sms.example.org' to='alice@example.org' type='chat' "
            "id='id1'><body>reply</body></message>");
  ASSERT_TRUE(s->send(OutboundReceipt{m.from, m.to, "o1"}));
  EXPECT_EQ(fake.sent.back(),
            "<message from='+33611111111@sms.example.org' to='alice@example.org' id='id2'>"
            "<received xmlns='urn:xmpp:receipts' id='o1'/></message>");
  // No idea which resource wrote "o1": the server would drop an error to the bare JID,
  // so the words go as a chat message.
  ASSERT_TRUE(s->send(OutboundError{m.from, m.to, "o1", Error::limit("monthly SMS cap reached")}));
  EXPECT_NE(fake.sent.back().find("type='chat'"), std::string::npos);
  EXPECT_NE(fake.sent.back().find("<body>[not delivered] monthly SMS cap reached</body>"),
            std::string::npos);
  // Once the message was seen, errors and receipts go to the resource that wrote it.
  feed(
      "<message from='alice@example.org/pc' to='+33611111111@sms.example.org' type='chat' "
      "id='o9'><body>x</body></message>");
  ASSERT_TRUE(s->send(OutboundError{m.from, m.to, "o9", Error::limit("monthly SMS cap reached")}));
  EXPECT_NE(
      fake.sent.back().find(
          "to='alice@example.org/pc' type='error' id='o9'><error type='modify'><policy-violation"),
      std::string::npos);
  ASSERT_TRUE(s->send(OutboundReceipt{m.from, m.to, "o9"}));
  EXPECT_NE(fake.sent.back().find("to='alice@example.org/pc'"), std::string::npos);
  ASSERT_TRUE(s->send(OutboundChatState{m.from, m.to, ChatState::paused}));
  EXPECT_NE(fake.sent.back().find("<paused xmlns="), std::string::npos);
  ASSERT_TRUE(s->send(OutboundSubscription{m.from, m.to, SubscriptionAction::subscribe}));
  EXPECT_NE(fake.sent.back().find("type='subscribe'"), std::string::npos);
  OutboundMessage wrong = m;
  wrong.from = {Network::aim, "bob"};
  EXPECT_FALSE(s->send(wrong));
}

}  // namespace
}  // namespace passerelle::xmpp
