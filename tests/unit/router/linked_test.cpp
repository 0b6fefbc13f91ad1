// Linked AIM, ICQ and MSN accounts (DESIGN.md §3): puppets both ways, presence, typing,
// subscriptions, account state, and the two offline rules by SMS.

#include "router_fixture.hpp"

namespace passerelle {
namespace {

using router_test::addr;
using router_test::RouterTest;

class LinkedTest : public RouterTest {
 protected:
  void SetUp() override {
    RouterTest::SetUp();
    config::PersonEntry alice;
    alice.name = "alice";
    alice.phone = "+33611111111";
    alice.addresses = {"xmpp:alice@example.org"};
    config::PersonEntry carol;  // an MSN contact whose phone alice knows
    carol.name = "carol";
    carol.phone = "+33633333333";
    carol.addresses = {"msn:carol@hotmail.com"};
    cfg_.people.push_back(alice);
    cfg_.people.push_back(carol);
    cfg_.oscar.enabled = true;
    cfg_.oscar.accounts = {account("aim", "alicesn"), account("icq", "123456")};
    cfg_.msn.enabled = true;
    cfg_.msn.accounts = {account("msn", "alice@hotmail.com")};
  }

  static config::LegacyAccount account(const std::string& network, const std::string& login) {
    config::LegacyAccount a;
    a.network = network;
    a.login = login;
    a.password = "pw";
    a.person = "alice";
    return a;
  }

  // Alice's own presence as the XMPP component sees it (directed to a gateway).
  void home(bool online) {
    InboundPresence p;
    p.connector = "xmpp";
    p.who = addr("xmpp:alice@example.org");
    p.observer = Address{Network::xmpp, "aim.example.org"};
    p.presence.state = online ? PresenceState::available : PresenceState::offline;
    router_->handle(p);
    settle();
  }

  void handle(InboundEvent ev) {
    router_->handle(std::move(ev));
    settle();
  }
};

TEST_F(LinkedTest, WritingToAPuppetSendsThroughTheLinkedAccount) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "aim:bobsn", "hi bob").ok());
  ASSERT_EQ(oscar_->messages().size(), 1u);
  EXPECT_EQ(oscar_->messages()[0].from.str(), "aim:alicesn");
  EXPECT_EQ(oscar_->messages()[0].to.str(), "aim:bobsn");
  EXPECT_EQ(oscar_->messages()[0].body, "hi bob");
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "icq:654321", "hi").ok());
  EXPECT_EQ(oscar_->messages().back().from.str(), "icq:123456");
  // Someone allowed to use the bridge but with no linked account on that network.
  auto st = message("xmpp", "xmpp:dave@example.org", "aim:bobsn", "hi");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::not_found);
  EXPECT_NE(st.error().message.find("no linked AIM account"), std::string::npos)
      << st.error().message;
  // Not allowed at all: forbidden, nothing sent.
  st = message("xmpp", "xmpp:mallory@evil.example", "aim:bobsn", "hi");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::not_allowed);
  EXPECT_EQ(oscar_->messages().size(), 2u);
}

TEST_F(LinkedTest, AMessageOnTheAccountReachesTheXmppClientFromThePuppet) {
  start();
  home(true);
  ASSERT_TRUE(message("oscar", "aim:bobsn", "aim:alicesn", "hello alice").ok());
  ASSERT_EQ(xmpp_->messages().size(), 1u);
  EXPECT_EQ(xmpp_->messages()[0].from.str(), "aim:bobsn");
  EXPECT_EQ(xmpp_->messages()[0].to.str(), "xmpp:alice@example.org");
  EXPECT_EQ(xmpp_->messages()[0].body, "hello alice");
  EXPECT_TRUE(sms_->sent.empty());  // she is online: no SMS
}

TEST_F(LinkedTest, OfflineEverywhereTheMessageGoesByMsAndTheAnswerBackOverAim) {
  start();
  home(false);
  ASSERT_TRUE(message("oscar", "aim:bobsn", "aim:alicesn", "are you there?").ok());
  ASSERT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(sms_->messages()[0].to.str(), "sms:+33611111111");
  EXPECT_EQ(sms_->messages()[0].body, "[AIM] bobsn: are you there?");
  ASSERT_EQ(xmpp_->messages().size(), 1u);  // and a copy for her XMPP history...
  EXPECT_EQ(charged("alice"), 5);
  // ...which her server may refuse while she is offline: bob is not told "not delivered".
  DeliveryReport bounced;
  bounced.connector = "xmpp";
  bounced.delivery_id = xmpp_->messages()[0].delivery_id;
  bounced.state = DeliveryState::failed;
  bounced.reason = "recipient-unavailable";
  report(bounced);
  EXPECT_TRUE(oscar_->of<OutboundError>().empty());
  ack_last_sms({"a1"});
  ASSERT_TRUE(
      message("smpp:primary", "sms:+33611111111", "sms:+33700000001", "yes, on the bus").ok());
  ASSERT_EQ(oscar_->messages().size(), 1u);
  EXPECT_EQ(oscar_->messages()[0].from.str(), "aim:alicesn");
  EXPECT_EQ(oscar_->messages()[0].to.str(), "aim:bobsn");
  EXPECT_EQ(oscar_->messages()[0].body, "yes, on the bus");
}

TEST_F(LinkedTest, TypingPresenceAndSubscriptionsGoBothWays) {
  start();
  handle(InboundChatState{"oscar", addr("aim:bobsn"), addr("aim:alicesn"), ChatState::composing});
  ASSERT_EQ(xmpp_->of<OutboundChatState>().size(), 1u);
  EXPECT_EQ(xmpp_->of<OutboundChatState>()[0].from.str(), "aim:bobsn");
  EXPECT_EQ(xmpp_->of<OutboundChatState>()[0].to.str(), "xmpp:alice@example.org");
  handle(InboundChatState{"xmpp", addr("xmpp:alice@example.org"), addr("msn:carol@hotmail.com"),
                          ChatState::composing});
  ASSERT_EQ(msn_->of<OutboundChatState>().size(), 1u);
  EXPECT_EQ(msn_->of<OutboundChatState>()[0].from.str(), "msn:alice@hotmail.com");

  InboundPresence away;
  away.connector = "oscar";
  away.who = addr("aim:bobsn");
  away.observer = addr("aim:alicesn");
  away.presence = {PresenceState::away, "out to lunch", Device::unknown, 0};
  handle(away);
  ASSERT_EQ(xmpp_->of<OutboundPresence>().size(), 1u);
  EXPECT_EQ(xmpp_->of<OutboundPresence>()[0].from.str(), "aim:bobsn");
  EXPECT_EQ(xmpp_->of<OutboundPresence>()[0].presence.status, "out to lunch");

  // Alice's own presence is shown on each of her linked accounts.
  InboundPresence mine;
  mine.connector = "xmpp";
  mine.who = addr("xmpp:alice@example.org");
  mine.observer = Address{Network::xmpp, "msn.example.org"};
  mine.presence = {PresenceState::busy, "in a meeting", Device::unknown, 0};
  handle(mine);
  ASSERT_EQ(oscar_->of<OutboundPresence>().size(), 2u);  // AIM and ICQ
  ASSERT_EQ(msn_->of<OutboundPresence>().size(), 1u);
  EXPECT_EQ(msn_->of<OutboundPresence>()[0].from.str(), "msn:alice@hotmail.com");
  EXPECT_EQ(msn_->of<OutboundPresence>()[0].to.str(), "msn:alice@hotmail.com");
  EXPECT_EQ(msn_->of<OutboundPresence>()[0].presence.status, "in a meeting");

  handle(InboundSubscription{"oscar", addr("icq:654321"), addr("icq:123456"),
                             SubscriptionAction::subscribe});
  ASSERT_EQ(xmpp_->of<OutboundSubscription>().size(), 1u);
  EXPECT_EQ(xmpp_->of<OutboundSubscription>()[0].from.str(), "icq:654321");
  handle(InboundSubscription{"xmpp", addr("xmpp:alice@example.org"), addr("aim:bobsn"),
                             SubscriptionAction::subscribe});
  ASSERT_EQ(oscar_->of<OutboundSubscription>().size(), 1u);
  EXPECT_EQ(oscar_->of<OutboundSubscription>()[0].from.str(), "aim:alicesn");
}

TEST_F(LinkedTest, AccountStateShowsAsTheGatewaysPresence) {
  start();
  handle(AccountStateEvent{"oscar", "aim:alicesn", LinkState::failed, "wrong password"});
  ASSERT_EQ(xmpp_->of<OutboundPresence>().size(), 1u);
  const auto p = xmpp_->of<OutboundPresence>()[0];
  EXPECT_EQ(p.from, (Address{Network::aim, ""}));
  EXPECT_EQ(p.to.str(), "xmpp:alice@example.org");
  EXPECT_EQ(p.presence.state, PresenceState::offline);
  EXPECT_NE(p.presence.status.find("wrong password"), std::string::npos);
}

TEST_F(LinkedTest, AClientComingOnlineGetsTheAccountStateAndItsContactsPresence) {
  start();
  home(false);
  handle(AccountStateEvent{"msn", "msn:alice@hotmail.com", LinkState::up, ""});
  InboundPresence bob;
  bob.connector = "msn";
  bob.who = addr("msn:carol@hotmail.com");
  bob.observer = addr("msn:alice@hotmail.com");
  bob.presence = {PresenceState::away, "lunch", Device::unknown, 0};
  handle(bob);
  InboundPresence gone = bob;
  gone.who = addr("msn:dan@hotmail.com");
  gone.presence = {PresenceState::available, "", Device::unknown, 0};
  handle(gone);
  gone.presence.state = PresenceState::offline;
  handle(gone);
  xmpp_->sent.clear();
  home(true);  // alice's client comes online
  const auto sent = xmpp_->of<OutboundPresence>();
  ASSERT_EQ(sent.size(), 2u);  // the gateway's state, then carol (dan went offline)
  EXPECT_EQ(sent[0].from, (Address{Network::msn, ""}));
  EXPECT_EQ(sent[0].presence.state, PresenceState::available);
  EXPECT_EQ(sent[1].from.str(), "msn:carol@hotmail.com");
  EXPECT_EQ(sent[1].presence.status, "lunch");
  xmpp_->sent.clear();
  home(true);  // still online: nothing again
  EXPECT_TRUE(xmpp_->of<OutboundPresence>().empty());
}

TEST_F(LinkedTest, AnOfflineMsnContactGetsItByMsAndTheirAnswerComesBack) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "msn:carol@hotmail.com", "dinner?", "x1",
                      /*receipt=*/true)
                  .ok());
  ASSERT_EQ(msn_->messages().size(), 1u);
  DeliveryReport offline;
  offline.connector = "msn";
  offline.delivery_id = msn_->messages()[0].delivery_id;
  offline.state = DeliveryState::failed;
  offline.reason = "carol@hotmail.com is offline";
  offline.protocol_status = 217;
  offline.recipient_offline = true;
  report(offline);
  EXPECT_TRUE(xmpp_->of<OutboundError>().empty());  // not a failure: it went another way
  ASSERT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(sms_->messages()[0].to.str(), "sms:+33633333333");
  EXPECT_EQ(sms_->messages()[0].body, "[MSN] alice@hotmail.com: dinner?");
  EXPECT_EQ(charged("alice"), 5);
  ack_last_sms({"m1"});
  DeliveryReport delivered;
  delivered.connector = "smpp:primary";
  delivered.network_id = "m1";
  delivered.state = DeliveryState::delivered;
  report(delivered);
  ASSERT_EQ(xmpp_->of<OutboundReceipt>().size(), 1u);  // her receipt, from carol's puppet
  EXPECT_EQ(xmpp_->of<OutboundReceipt>()[0].from.str(), "msn:carol@hotmail.com");
  EXPECT_EQ(xmpp_->of<OutboundReceipt>()[0].origin_id, "x1");
  // Carol answers by SMS: into alice's chat with her MSN puppet.
  ASSERT_TRUE(message("smpp:primary", "sms:+33633333333", "sms:+33700000001", "yes!").ok());
  ASSERT_EQ(xmpp_->messages().size(), 1u);
  EXPECT_EQ(xmpp_->messages()[0].from.str(), "msn:carol@hotmail.com");
  EXPECT_EQ(xmpp_->messages()[0].to.str(), "xmpp:alice@example.org");
  EXPECT_EQ(xmpp_->messages()[0].body, "yes!");
}

TEST_F(LinkedTest, AnOfflineContactWithoutAPhoneIsAFailureTheSenderHears) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "msn:dan@hotmail.com", "hi").ok());
  DeliveryReport offline;
  offline.connector = "msn";
  offline.delivery_id = msn_->messages()[0].delivery_id;
  offline.state = DeliveryState::failed;
  offline.reason = "dan@hotmail.com is offline";
  offline.recipient_offline = true;
  report(offline);
  EXPECT_TRUE(sms_->sent.empty());
  ASSERT_EQ(xmpp_->of<OutboundError>().size(), 1u);
  EXPECT_NE(xmpp_->of<OutboundError>()[0].error.message.find("offline"), std::string::npos);
}

}  // namespace
}  // namespace passerelle
