// Gateway accounts: an AIM (or ICQ, MSN) account of the bridge's own, through which the
// contacts it allows reach any phone, by SMS or RCS, and get the phones' answers back.

#include "router_fixture.hpp"

namespace passerelle {
namespace {

using router_test::addr;
using router_test::RouterTest;

class GatewayTest : public RouterTest {
 protected:
  void SetUp() override {
    RouterTest::SetUp();
    cfg_.oscar.enabled = true;
    config::LegacyAccount gw;
    gw.network = "aim";
    gw.login = "gw";
    gw.password = "pw";
    gw.gateway = true;
    gw.allow = {"bobsn", "123456"};
    cfg_.oscar.accounts = {gw};
  }

  Status from_bob(const std::string& body) { return message("oscar", "aim:bobsn", "aim:gw", body); }
  Status phone_says(const std::string& phone, const std::string& body) {
    return message("smpp:primary", "sms:" + phone, "sms:+33700000001", body);
  }
  std::vector<std::string> errors_to(const std::string& who) {
    std::vector<std::string> out;
    for (const auto& e : oscar_->of<OutboundError>()) {
      EXPECT_EQ(e.from.str(), "aim:gw");
      if (e.to.str() == who) out.push_back(e.error.message);
    }
    return out;
  }
};

TEST_F(GatewayTest, AContactWritesToAPhoneAndTheAnswerComesBackFromTheGateway) {
  start();
  ASSERT_TRUE(from_bob("+33611111111 hello from AIM").ok());
  ASSERT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(sms_->messages()[0].to.str(), "sms:+33611111111");
  EXPECT_EQ(sms_->messages()[0].from.str(), "sms:+33700000001");
  EXPECT_EQ(sms_->messages()[0].body, "[AIM] bobsn: hello from AIM");
  EXPECT_EQ(charged("aim:bobsn"), 5);  // the contact pays, under the default cap
  ack_last_sms({"s1"});
  ASSERT_TRUE(phone_says("+33611111111", "hi bob").ok());
  ASSERT_EQ(oscar_->messages().size(), 1u);
  EXPECT_EQ(oscar_->messages()[0].from.str(), "aim:gw");
  EXPECT_EQ(oscar_->messages()[0].to.str(), "aim:bobsn");
  EXPECT_EQ(oscar_->messages()[0].body, "+33611111111: hi bob");
  // Without a number, to the same phone; a national number with the default country.
  ASSERT_TRUE(from_bob("how are you?").ok());
  ASSERT_EQ(sms_->messages().size(), 2u);
  EXPECT_EQ(sms_->messages()[1].to.str(), "sms:+33611111111");
  EXPECT_EQ(sms_->messages()[1].body, "[AIM] bobsn: how are you?");
  ASSERT_TRUE(from_bob("@0633333333 and you?").ok());
  ASSERT_EQ(sms_->messages().size(), 3u);
  EXPECT_EQ(sms_->messages()[2].to.str(), "sms:+33633333333");
  EXPECT_TRUE(errors_to("aim:bobsn").empty());
}

TEST_F(GatewayTest, TheLatestPhoneGetsTextWithoutANumberAcrossARestart) {
  start();
  ASSERT_TRUE(from_bob("+33611111111 one").ok());
  ack_last_sms({"s1"});
  ASSERT_TRUE(from_bob("+33633333333 two").ok());
  ack_last_sms({"s2"});
  // The first phone answers last: bob's next text without a number goes to it.
  ASSERT_TRUE(phone_says("+33633333333", "from three").ok());
  ASSERT_TRUE(phone_says("+33611111111", "from one").ok());
  ASSERT_EQ(oscar_->messages().size(), 2u);
  EXPECT_EQ(oscar_->messages()[0].body, "+33633333333: from three");
  EXPECT_EQ(oscar_->messages()[1].body, "+33611111111: from one");
  restart();
  ASSERT_TRUE(from_bob("back to you").ok());
  ASSERT_FALSE(sms_->messages().empty());  // a new fake connector since the restart
  EXPECT_EQ(sms_->messages().back().to.str(), "sms:+33611111111");
  EXPECT_EQ(sms_->messages().back().body, "[AIM] bobsn: back to you");
  // And each phone's answers still reach bob through the gateway.
  ASSERT_TRUE(phone_says("+33633333333", "still here").ok());
  ASSERT_FALSE(oscar_->messages().empty());
  EXPECT_EQ(oscar_->messages().back().from.str(), "aim:gw");
  EXPECT_EQ(oscar_->messages().back().body, "+33633333333: still here");
}

TEST_F(GatewayTest, StrangersAndUnclearMessagesAreRefusedAndNothingIsSent) {
  start();
  ASSERT_TRUE(message("oscar", "aim:mallory", "aim:gw", "+33611111111 spam").ok());
  ASSERT_TRUE(message("oscar", "aim:mallory", "aim:gw", "+33611111111 spam again").ok());
  // Told once, not at every message.
  ASSERT_EQ(errors_to("aim:mallory").size(), 1u);
  EXPECT_EQ(errors_to("aim:mallory")[0], "you are not allowed to use this gateway");
  ASSERT_TRUE(from_bob("hello").ok());  // no phone yet
  ASSERT_TRUE(from_bob("@xmpp:alice@example.org hi").ok());
  ASSERT_TRUE(from_bob("+33611111111").ok());
  ASSERT_TRUE(from_bob("+1234 hi").ok());
  EXPECT_TRUE(sms_->messages().empty());
  const auto errors = errors_to("aim:bobsn");
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_NE(errors[0].find("start with the phone number"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("\"xmpp:alice@example.org\" is not a phone number"), std::string::npos)
      << errors[1];
  EXPECT_NE(errors[2].find("write the message after the number"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find("\"+1234\" is not a phone number"), std::string::npos) << errors[3];
  // An ICQ user the gateway allows may use it too.
  ASSERT_TRUE(message("oscar", "icq:123456", "aim:gw", "+33611111111 from ICQ").ok());
  ASSERT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(sms_->messages()[0].body, "[ICQ] 123456: from ICQ");
}

TEST_F(GatewayTest, RefusalsFurtherOnReachTheContactAsText) {
  cfg_.sms.default_monthly_cap = 5;  // one segment
  start();
  ASSERT_TRUE(from_bob("+33611111111 one").ok());
  EXPECT_FALSE(from_bob("+33611111111 two").ok());
  EXPECT_EQ(sms_->messages().size(), 1u);
  auto errors = errors_to("aim:bobsn");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("cap"), std::string::npos) << errors[0];
  // A phone that sent STOP gets nothing more, and the contact hears why.
  ASSERT_TRUE(phone_says("+33633333333", "STOP").ok());
  EXPECT_FALSE(message("oscar", "icq:123456", "aim:gw", "+33633333333 hi").ok());
  errors = errors_to("icq:123456");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("STOP"), std::string::npos) << errors[0];
  for (const auto& m : sms_->messages()) EXPECT_NE(m.body, "[ICQ] 123456: hi");
}

TEST_F(GatewayTest, AnAllowedContactAddingTheGatewayIsApproved) {
  start();
  router_->handle(InboundSubscription{"oscar", addr("icq:123456"), addr("aim:gw"),
                                      SubscriptionAction::subscribe});
  router_->handle(InboundSubscription{"oscar", addr("aim:mallory"), addr("aim:gw"),
                                      SubscriptionAction::subscribe});
  settle();
  const auto subs = oscar_->of<OutboundSubscription>();
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0].from.str(), "aim:gw");
  EXPECT_EQ(subs[0].to.str(), "icq:123456");
  EXPECT_EQ(subs[0].action, SubscriptionAction::subscribed);
}

class RcsGatewayTest : public GatewayTest {
 protected:
  void SetUp() override {
    GatewayTest::SetUp();
    cfg_.rcs.enabled = true;
    config::RcsPlatform a;
    a.name = "carrier-a";
    a.bot_id = "bot-a";
    a.ranges = {"+3361"};
    cfg_.rcs.platforms = {a};
  }
};

TEST_F(RcsGatewayTest, APhoneWithRcsGetsItAsTheChatbotAndSmsIfRcsFails) {
  start();
  ASSERT_TRUE(from_bob("+33611111111 over RCS").ok());
  auto* rcs = rcs_["carrier-a"];
  ASSERT_EQ(rcs->messages().size(), 1u);
  EXPECT_EQ(rcs->messages()[0].from.str(), "rcs:bot-a@carrier-a");
  EXPECT_EQ(rcs->messages()[0].body, "[AIM] bobsn: over RCS");
  EXPECT_TRUE(sms_->messages().empty());
  DeliveryReport acked;
  acked.connector = "rcs:carrier-a";
  acked.delivery_id = rcs->messages()[0].delivery_id;
  acked.state = DeliveryState::acked;
  acked.network_ids = {acked.delivery_id};
  report(acked);
  ASSERT_TRUE(message("rcs:carrier-a", "rcs:+33611111111", "rcs:bot-a@carrier-a", "got it").ok());
  ASSERT_EQ(oscar_->messages().size(), 1u);
  EXPECT_EQ(oscar_->messages()[0].from.str(), "aim:gw");
  EXPECT_EQ(oscar_->messages()[0].body, "+33611111111: got it");
  // The platform cannot deliver the next one: SMS instead, charged to the contact.
  ASSERT_TRUE(from_bob("are you still there?").ok());
  ASSERT_EQ(rcs->messages().size(), 2u);
  DeliveryReport failed;
  failed.connector = "rcs:carrier-a";
  failed.delivery_id = rcs->messages()[1].delivery_id;
  failed.state = DeliveryState::failed;
  failed.reason = "no RCS";
  failed.recipient_offline = true;
  report(failed);
  ASSERT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(sms_->messages()[0].to.str(), "sms:+33611111111");
  EXPECT_EQ(sms_->messages()[0].body, "[AIM] bobsn: are you still there?");
  EXPECT_EQ(charged("aim:bobsn"), 5);
  EXPECT_EQ(charged("aim:gw"), 0);
}

TEST_F(RcsGatewayTest, TypingGoesBothWaysBetweenTheContactAndTheirLatestPhone) {
  start();
  auto* rcs = rcs_["carrier-a"];
  // Before any conversation: nowhere to go.
  router_->handle(
      InboundChatState{"oscar", addr("aim:bobsn"), addr("aim:gw"), ChatState::composing});
  settle();
  EXPECT_TRUE(rcs->of<OutboundChatState>().empty());
  ASSERT_TRUE(from_bob("+33611111111 hi").ok());
  DeliveryReport acked;
  acked.connector = "rcs:carrier-a";
  acked.delivery_id = rcs->messages()[0].delivery_id;
  acked.state = DeliveryState::acked;
  acked.network_ids = {acked.delivery_id};
  report(acked);
  router_->handle(
      InboundChatState{"oscar", addr("aim:bobsn"), addr("aim:gw"), ChatState::composing});
  router_->handle(
      InboundChatState{"oscar", addr("aim:mallory"), addr("aim:gw"), ChatState::composing});
  settle();
  auto typing = rcs->of<OutboundChatState>();
  ASSERT_EQ(typing.size(), 1u);
  EXPECT_EQ(typing[0].from.str(), "rcs:bot-a@carrier-a");
  EXPECT_EQ(typing[0].to.str(), "rcs:+33611111111");
  EXPECT_EQ(typing[0].state, ChatState::composing);
  router_->handle(InboundChatState{"rcs:carrier-a", addr("rcs:+33611111111"),
                                   addr("rcs:bot-a@carrier-a"), ChatState::composing});
  settle();
  auto back = oscar_->of<OutboundChatState>();
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].from.str(), "aim:gw");
  EXPECT_EQ(back[0].to.str(), "aim:bobsn");
}

}  // namespace
}  // namespace passerelle
