// RCS routing: XMPP user <-> RCS phone through the platform serving the number, SMS where
// no platform serves it or the phone has no RCS (once), replies threaded on the chatbot,
// typing both ways, number portability.

#include <fstream>

#include "router_fixture.hpp"

namespace passerelle {
namespace {

using router_test::addr;
using router_test::RouterTest;

class RcsRouterTest : public RouterTest {
 protected:
  void SetUp() override {
    RouterTest::SetUp();
    cfg_.rcs.enabled = true;
    config::RcsPlatform a;
    a.name = "carrier-a";
    a.bot_id = "bot-a";
    a.ranges = {"+3361"};
    config::RcsPlatform b = a;
    b.name = "carrier-b";
    b.bot_id = "bot-b";
    b.ranges = {"+3362", "+33623"};
    cfg_.rcs.platforms = {a, b};
  }

  void ack_rcs(const std::string& platform) {
    auto m = rcs_.at(platform)->messages().back();
    DeliveryReport r;
    r.connector = "rcs:" + platform;
    r.delivery_id = m.delivery_id;
    r.state = DeliveryState::acked;
    r.network_ids = {m.delivery_id};
    report(r);
  }
  void fail_rcs(const std::string& platform, const std::string& delivery_id, bool by_network_id) {
    DeliveryReport r;
    r.connector = "rcs:" + platform;
    (by_network_id ? r.network_id : r.delivery_id) = delivery_id;
    r.state = DeliveryState::failed;
    r.reason = "+33611111111 has no RCS on " + platform;
    r.recipient_offline = true;
    report(r);
  }
};

TEST_F(RcsRouterTest, XmppUserAndRcsPhoneChatThroughTheCarriersPlatform) {
  start();
  ASSERT_TRUE(
      message("xmpp", "xmpp:alice@example.org", "rcs:+33611111111", "hello", "o1", true).ok());
  ASSERT_EQ(rcs_["carrier-a"]->messages().size(), 1u);
  EXPECT_TRUE(rcs_["carrier-b"]->messages().empty());
  EXPECT_TRUE(sms_->messages().empty());
  const auto out = rcs_["carrier-a"]->messages()[0];
  EXPECT_EQ(out.from.str(), "rcs:bot-a@carrier-a");
  EXPECT_EQ(out.to.str(), "rcs:+33611111111");
  EXPECT_EQ(out.body, "[XMPP] alice@example.org: hello");
  EXPECT_EQ(charged("xmpp:alice@example.org"), 0);  // no SMS segment was paid for

  // Taken, then delivered: one XEP-0184 receipt from the phone's puppet.
  ack_rcs("carrier-a");
  report({"rcs:carrier-a", "", out.delivery_id, DeliveryState::delivered, {}, "", 0, false, 0});
  ASSERT_EQ(xmpp_->of<OutboundReceipt>().size(), 1u);
  EXPECT_EQ(xmpp_->of<OutboundReceipt>()[0].origin_id, "o1");
  EXPECT_EQ(xmpp_->of<OutboundReceipt>()[0].from.str(), "rcs:+33611111111");

  // The phone answers the chatbot: it reaches alice from the puppet.
  ASSERT_TRUE(message("rcs:carrier-a", "rcs:+33611111111", "rcs:bot-a@carrier-a", "hi alice").ok());
  ASSERT_EQ(xmpp_->messages().size(), 1u);
  EXPECT_EQ(xmpp_->messages()[0].from.str(), "rcs:+33611111111");
  EXPECT_EQ(xmpp_->messages()[0].to.str(), "xmpp:alice@example.org");
  EXPECT_EQ(xmpp_->messages()[0].body, "hi alice");
}

// A file is a link: kept as such to RCS (the connector sends it as a file) and to XMPP
// (XEP-0066), told as a line with its name and size where only text goes (SMS).
TEST_F(RcsRouterTest, FilesTravelAsLinksAndAsTextWhereOnlyTextGoes) {
  start();
  const Attachment photo{"photo.jpg", "image/jpeg", 2'500'000, "",
                         "https://upload.example.org/u/photo.jpg"};
  ASSERT_TRUE(
      message("xmpp", "xmpp:alice@example.org", "rcs:+33611111111", photo.url, "o1", false, {photo})
          .ok());
  ASSERT_EQ(rcs_["carrier-a"]->messages().size(), 1u);
  const auto out = rcs_["carrier-a"]->messages()[0];
  ASSERT_EQ(out.attachments.size(), 1u);
  EXPECT_EQ(out.attachments[0].url, photo.url);
  EXPECT_EQ(out.attachments[0].size, photo.size);

  // No RCS after all: by SMS, where the link is already in the text and not repeated.
  fail_rcs("carrier-a", out.delivery_id, false);
  ASSERT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(sms_->messages()[0].body, "[XMPP] alice@example.org: " + photo.url);
  EXPECT_TRUE(sms_->messages()[0].attachments.empty());

  // A file alone (no text), to a number no platform serves: one line with name and size.
  ASSERT_TRUE(
      message("xmpp", "xmpp:alice@example.org", "rcs:+33633333333", "", "o2", false, {photo}).ok());
  ASSERT_EQ(sms_->messages().size(), 2u);
  EXPECT_EQ(sms_->messages()[1].body, "[XMPP] alice@example.org: photo.jpg (2.5 MB): " + photo.url);

  // A phone's file to the chatbot reaches alice as a link, without text.
  const Attachment shared{"cat.png", "image/png", 1234, std::string(64, 'c'),
                          "http://127.0.0.1:8480/files/t0k3n/cat.png"};
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "rcs:+33611111111", "see?").ok());
  ack_rcs("carrier-a");  // threads +33611111111 on bot-a to alice
  ASSERT_TRUE(
      message("rcs:carrier-a", "rcs:+33611111111", "rcs:bot-a@carrier-a", "", "m1", false, {shared})
          .ok());
  ASSERT_EQ(xmpp_->messages().size(), 1u);
  EXPECT_EQ(xmpp_->messages()[0].body, "");
  ASSERT_EQ(xmpp_->messages()[0].attachments.size(), 1u);
  EXPECT_EQ(xmpp_->messages()[0].attachments[0].url, shared.url);
  EXPECT_EQ(xmpp_->messages()[0].attachments[0].sha256, shared.sha256);

  // ... and survives a restart of the bridge while it waits in the outbox.
  restart();
  ASSERT_FALSE(xmpp_->messages().empty());
  EXPECT_EQ(xmpp_->messages().back().attachments.size(), 1u);
}

// A restart does not end the watch for delivery: the connector is told which messages the
// platform took and has not delivered, and when it took them; a revoke reported after the
// restart still leads to the SMS.
TEST_F(RcsRouterTest, MessagesTakenBeforeARestartAreWatchedAfterIt) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "rcs:+33611111111", "hello").ok());
  const auto out = rcs_["carrier-a"]->messages().at(0);
  const auto before = now_ms();
  ack_rcs("carrier-a");
  EXPECT_TRUE(rcs_["carrier-a"]->watches.empty());
  restart();
  const auto watches = rcs_["carrier-a"]->watches;
  ASSERT_EQ(watches.size(), 1u);
  EXPECT_EQ(watches[0].delivery_id, out.delivery_id);
  EXPECT_EQ(watches[0].network_ids, std::vector<std::string>{out.delivery_id});
  EXPECT_GE(watches[0].acked_ms, before);
  EXPECT_LE(watches[0].acked_ms, now_ms());
  EXPECT_TRUE(rcs_["carrier-b"]->watches.empty());
  EXPECT_TRUE(rcs_["carrier-a"]->messages().empty());  // not sent again

  fail_rcs("carrier-a", out.delivery_id, true);  // revoked after the restart
  ASSERT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(sms_->messages()[0].body, "[XMPP] alice@example.org: hello");
}

// With a pool of chatbots, each person a phone talks with gets a chatbot of their own: the
// phone's answer to either needs no "@" to reach the right person.
TEST_F(RcsRouterTest, APoolOfChatbotsGivesEachConversationItsOwn) {
  cfg_.rcs.platforms[0].pool_bots = {"bot-a2"};
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "rcs:+33611111111", "from alice").ok());
  ack_rcs("carrier-a");
  ASSERT_TRUE(message("xmpp", "xmpp:bob@example.org", "rcs:+33611111111", "from bob").ok());
  ack_rcs("carrier-a");
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "rcs:+33611111111", "again").ok());
  const auto sent = rcs_["carrier-a"]->messages();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].from.str(), "rcs:bot-a@carrier-a");
  EXPECT_EQ(sent[1].from.str(), "rcs:bot-a2@carrier-a");
  EXPECT_EQ(sent[2].from.str(), "rcs:bot-a@carrier-a");  // alice keeps hers

  ASSERT_TRUE(message("rcs:carrier-a", "rcs:+33611111111", "rcs:bot-a2@carrier-a", "hi bob").ok());
  ASSERT_TRUE(message("rcs:carrier-a", "rcs:+33611111111", "rcs:bot-a@carrier-a", "hi alice").ok());
  const auto got = xmpp_->messages();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].to.str(), "xmpp:bob@example.org");
  EXPECT_EQ(got[0].body, "hi bob");
  EXPECT_EQ(got[1].to.str(), "xmpp:alice@example.org");
  EXPECT_EQ(got[1].body, "hi alice");

  // Typing from bob goes through his chatbot.
  InboundChatState typing{"xmpp", addr("xmpp:bob@example.org"), addr("rcs:+33611111111"),
                          ChatState::composing};
  router_->handle(typing);
  settle();
  const auto states = rcs_["carrier-a"]->of<OutboundChatState>();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].from.str(), "rcs:bot-a2@carrier-a");
}

// Between carriers, phone to phone (rcs.phones_may_start): a phone starts with "@", then
// both sides just write to their own carrier's chatbot.
TEST_F(RcsRouterTest, PhonesOfTwoCarriersTalkThroughTheirChatbotsWhenAllowed) {
  cfg_.rcs.phones_may_start = true;
  start();
  ASSERT_TRUE(message("rcs:carrier-a", "rcs:+33611111111", "rcs:bot-a@carrier-a",
                      "@sms:+33622222222 hello b")
                  .ok());
  ASSERT_EQ(rcs_["carrier-b"]->messages().size(), 1u);
  const auto out = rcs_["carrier-b"]->messages()[0];
  EXPECT_EQ(out.from.str(), "rcs:bot-b@carrier-b");
  EXPECT_EQ(out.to.str(), "rcs:+33622222222");
  EXPECT_EQ(out.body, "[RCS] +33611111111: hello b");
  ack_rcs("carrier-b");

  // b answers its own chatbot: it reaches a through carrier-a.
  ASSERT_TRUE(message("rcs:carrier-b", "rcs:+33622222222", "rcs:bot-b@carrier-b", "hi a").ok());
  ASSERT_EQ(rcs_["carrier-a"]->messages().size(), 1u);
  EXPECT_EQ(rcs_["carrier-a"]->messages()[0].to.str(), "rcs:+33611111111");
  EXPECT_EQ(rcs_["carrier-a"]->messages()[0].from.str(), "rcs:bot-a@carrier-a");
  EXPECT_EQ(rcs_["carrier-a"]->messages()[0].body, "[RCS] +33622222222: hi a");

  // a writes again without "@": to b. A phone without RCS gets it by SMS, charged to a.
  ASSERT_TRUE(
      message("rcs:carrier-a", "rcs:+33611111111", "rcs:bot-a@carrier-a", "and again").ok());
  ASSERT_EQ(rcs_["carrier-b"]->messages().size(), 2u);
  EXPECT_EQ(rcs_["carrier-b"]->messages()[1].body, "[RCS] +33611111111: and again");
  fail_rcs("carrier-b", rcs_["carrier-b"]->messages()[1].delivery_id, false);
  ASSERT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(sms_->messages()[0].to.str(), "sms:+33622222222");
  EXPECT_GT(charged("rcs:+33611111111"), 0);
  EXPECT_TRUE(xmpp_->messages().empty());

  // Its SMS answer comes back to a over RCS.
  ack_last_sms({"s1"});
  ASSERT_TRUE(message("smpp:primary", "sms:+33622222222", "sms:+33700000001", "by sms").ok());
  ASSERT_EQ(rcs_["carrier-a"]->messages().size(), 2u);
  EXPECT_EQ(rcs_["carrier-a"]->messages()[1].body, "[RCS] +33622222222: by sms");
}

// With one chatbot and two conversations, "@" picks the other one, as on a sender number.
TEST_F(RcsRouterTest, AtPicksAConversationOnAChatbot) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "rcs:+33611111111", "from alice").ok());
  ack_rcs("carrier-a");
  ASSERT_TRUE(message("xmpp", "xmpp:bob@example.org", "rcs:+33611111111", "from bob").ok());
  ack_rcs("carrier-a");
  ASSERT_TRUE(message("rcs:carrier-a", "rcs:+33611111111", "rcs:bot-a@carrier-a",
                      "@xmpp:alice@example.org hi alice")
                  .ok());
  ASSERT_EQ(xmpp_->messages().size(), 1u);
  EXPECT_EQ(xmpp_->messages()[0].to.str(), "xmpp:alice@example.org");
  EXPECT_EQ(xmpp_->messages()[0].body, "hi alice");
}

// A phone that wrote to another phone hears of a failure from its chatbot (phones have no
// error stanza): here the other phone has no RCS and the writer's SMS allowance is spent.
TEST_F(RcsRouterTest, APhoneHearsWhenItsMessageToAnotherPhoneFails) {
  cfg_.rcs.phones_may_start = true;
  cfg_.sms.default_monthly_cap = 1;  // less than one segment
  start();
  ASSERT_TRUE(message("rcs:carrier-a", "rcs:+33611111111", "rcs:bot-a@carrier-a",
                      "@rcs:+33622222222 hello b")
                  .ok());
  ASSERT_EQ(rcs_["carrier-b"]->messages().size(), 1u);
  fail_rcs("carrier-b", rcs_["carrier-b"]->messages()[0].delivery_id, false);
  EXPECT_TRUE(sms_->messages().empty());  // over the cap: no SMS
  ASSERT_EQ(rcs_["carrier-a"]->messages().size(), 1u);
  const auto notice = rcs_["carrier-a"]->messages()[0];
  EXPECT_EQ(notice.kind, MessageKind::notice);
  EXPECT_EQ(notice.from.str(), "rcs:bot-a@carrier-a");
  EXPECT_EQ(notice.to.str(), "rcs:+33611111111");
  EXPECT_NE(notice.body.find("passerelle: not delivered to +33622222222: "), std::string::npos)
      << notice.body;
}

// No open relay by default: a phone only answers; "@" to a phone nobody linked it with
// gets the help text.
TEST_F(RcsRouterTest, PhonesDoNotStartConversationsUnlessAllowed) {
  start();
  ASSERT_TRUE(message("rcs:carrier-a", "rcs:+33611111111", "rcs:bot-a@carrier-a",
                      "@rcs:+33622222222 hello b")
                  .ok());
  EXPECT_TRUE(rcs_["carrier-b"]->messages().empty());
  EXPECT_TRUE(sms_->messages().empty());
  ASSERT_EQ(rcs_["carrier-a"]->messages().size(), 1u);  // the help notice
  EXPECT_EQ(rcs_["carrier-a"]->messages()[0].kind, MessageKind::notice);
}

// The offline fallback goes by RCS where the person's phone has it (the person is bob, his
// phone +33622222222 on carrier-b), by SMS when it does not, charged to him; his answer
// leaves from his own account.
TEST_F(RcsRouterTest, OfflineFallbackGoesByRcsWhereThePhoneHasIt) {
  start();
  presence("xmpp:bob@example.org", false);
  ASSERT_TRUE(
      message("xmpp-client", "xmpp:carol@other.example", "xmpp:bob@example.org", "call me").ok());
  EXPECT_TRUE(sms_->messages().empty());
  ASSERT_EQ(rcs_["carrier-b"]->messages().size(), 1u);
  const auto out = rcs_["carrier-b"]->messages()[0];
  EXPECT_EQ(out.to.str(), "rcs:+33622222222");
  EXPECT_EQ(out.from.str(), "rcs:bot-b@carrier-b");
  EXPECT_EQ(out.body, "[XMPP] carol@other.example: call me");
  ack_rcs("carrier-b");
  ASSERT_TRUE(
      message("rcs:carrier-b", "rcs:+33622222222", "rcs:bot-b@carrier-b", "on my way").ok());
  ASSERT_EQ(client_->messages().size(), 1u);
  EXPECT_EQ(client_->messages()[0].from.str(), "xmpp:bob@example.org");
  EXPECT_EQ(client_->messages()[0].to.str(), "xmpp:carol@other.example");
  EXPECT_EQ(client_->messages()[0].body, "on my way");

  // No RCS after all for the next one: SMS, charged to bob (not to carol).
  ASSERT_TRUE(
      message("xmpp-client", "xmpp:carol@other.example", "xmpp:bob@example.org", "again").ok());
  fail_rcs("carrier-b", rcs_["carrier-b"]->messages().back().delivery_id, false);
  ASSERT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(sms_->messages()[0].body, "[XMPP] carol@other.example: again");
  EXPECT_EQ(charged("bob"), 5);
}

TEST_F(RcsRouterTest, EachNumberGoesToThePlatformOfItsLongestRange) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "rcs:+33622222222", "to b").ok());
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "rcs:+33623333333", "to b too").ok());
  EXPECT_EQ(rcs_["carrier-b"]->messages().size(), 2u);
  EXPECT_EQ(rcs_["carrier-b"]->messages()[0].from.str(), "rcs:bot-b@carrier-b");
  EXPECT_TRUE(rcs_["carrier-a"]->messages().empty());
}

TEST_F(RcsRouterTest, ANumberNoPlatformServesGoesBySmsAndTheReplyComesBackAsThePuppet) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "rcs:+33633333333", "by sms").ok());
  EXPECT_TRUE(rcs_["carrier-a"]->messages().empty());
  ASSERT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(sms_->messages()[0].to.str(), "sms:+33633333333");
  EXPECT_EQ(sms_->messages()[0].body, "[XMPP] alice@example.org: by sms");
  ack_last_sms({"m1"});
  ASSERT_TRUE(message("smpp:primary", "sms:+33633333333", "sms:+33700000001", "got it").ok());
  ASSERT_EQ(xmpp_->messages().size(), 1u);
  EXPECT_EQ(xmpp_->messages()[0].from.str(), "rcs:+33633333333");
}

TEST_F(RcsRouterTest, APhoneWithoutRcsGetsTheMessageBySmsExactlyOnce) {
  start();
  ASSERT_TRUE(
      message("xmpp", "xmpp:alice@example.org", "rcs:+33611111111", "hello", "o1", true).ok());
  const auto out = rcs_["carrier-a"]->messages().at(0);
  fail_rcs("carrier-a", out.delivery_id, false);
  ASSERT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(sms_->messages()[0].to.str(), "sms:+33611111111");
  EXPECT_EQ(sms_->messages()[0].body, "[XMPP] alice@example.org: hello");
  EXPECT_TRUE(xmpp_->of<OutboundError>().empty());  // not a failure for alice: it went by SMS
  fail_rcs("carrier-a", out.delivery_id, false);    // the same report again
  EXPECT_EQ(sms_->messages().size(), 1u);
  // The SMS's delivery report becomes alice's receipt, from the rcs puppet.
  ack_last_sms({"s1"});
  report({"smpp:primary", "", "s1", DeliveryState::delivered, {}, "", 0, false, 0});
  ASSERT_EQ(xmpp_->of<OutboundReceipt>().size(), 1u);
  EXPECT_EQ(xmpp_->of<OutboundReceipt>()[0].from.str(), "rcs:+33611111111");
  EXPECT_EQ(xmpp_->of<OutboundReceipt>()[0].origin_id, "o1");
}

TEST_F(RcsRouterTest, AMessageRevokedAfterItWasTakenGoesBySmsOnce) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "rcs:+33611111111", "late").ok());
  const auto out = rcs_["carrier-a"]->messages().at(0);
  ack_rcs("carrier-a");
  fail_rcs("carrier-a", out.delivery_id, true);  // by msgId, after the fallback time
  ASSERT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(sms_->messages()[0].body, "[XMPP] alice@example.org: late");
  fail_rcs("carrier-a", out.delivery_id, true);
  EXPECT_EQ(sms_->messages().size(), 1u);
}

TEST_F(RcsRouterTest, AFailureThatIsNotAboutTheRecipientTellsTheSender) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "rcs:+33611111111", "x", "o9").ok());
  DeliveryReport r;
  r.connector = "rcs:carrier-a";
  r.delivery_id = rcs_["carrier-a"]->messages().at(0).delivery_id;
  r.state = DeliveryState::failed;
  r.reason = "HTTP 400: bad request";
  report(r);
  EXPECT_TRUE(sms_->messages().empty());
  ASSERT_EQ(xmpp_->of<OutboundError>().size(), 1u);
  EXPECT_EQ(xmpp_->of<OutboundError>()[0].origin_id, "o9");
}

TEST_F(RcsRouterTest, TypingGoesBothWays) {
  start();
  router_->handle(InboundChatState{"xmpp", addr("xmpp:alice@example.org"), addr("rcs:+33611111111"),
                                   ChatState::composing});
  settle();
  ASSERT_EQ(rcs_["carrier-a"]->of<OutboundChatState>().size(), 1u);
  EXPECT_EQ(rcs_["carrier-a"]->of<OutboundChatState>()[0].from.str(), "rcs:bot-a@carrier-a");
  EXPECT_EQ(rcs_["carrier-a"]->of<OutboundChatState>()[0].state, ChatState::composing);

  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "rcs:+33611111111", "hello").ok());
  ack_rcs("carrier-a");
  router_->handle(InboundChatState{"rcs:carrier-a", addr("rcs:+33611111111"),
                                   addr("rcs:bot-a@carrier-a"), ChatState::composing});
  settle();
  ASSERT_EQ(xmpp_->of<OutboundChatState>().size(), 1u);
  EXPECT_EQ(xmpp_->of<OutboundChatState>()[0].from.str(), "rcs:+33611111111");
  EXPECT_EQ(xmpp_->of<OutboundChatState>()[0].to.str(), "xmpp:alice@example.org");
}

TEST_F(RcsRouterTest, APhoneNobodyWroteToGetsHelpFromTheChatbotNotBySms) {
  start();
  ASSERT_TRUE(message("rcs:carrier-a", "rcs:+33611111111", "rcs:bot-a@carrier-a", "who?").ok());
  EXPECT_TRUE(xmpp_->messages().empty());
  EXPECT_TRUE(sms_->messages().empty());
  ASSERT_EQ(rcs_["carrier-a"]->messages().size(), 1u);
  EXPECT_EQ(rcs_["carrier-a"]->messages()[0].from.str(), "rcs:bot-a@carrier-a");
  EXPECT_EQ(rcs_["carrier-a"]->messages()[0].body, cfg_.sms.help_text);
  // To a chatbot that is not ours: dropped, acknowledged.
  ASSERT_TRUE(message("rcs:carrier-a", "rcs:+33611111111", "rcs:other@carrier-a", "x").ok());
  EXPECT_EQ(rcs_["carrier-a"]->messages().size(), 1u);
}

TEST_F(RcsRouterTest, APortedNumberGoesToThePlatformTheTableNames) {
  const auto csv = dir_ / "ported.csv";
  {
    std::ofstream out(csv);
    out << "number,platform,smsc\n+33611111111,carrier-b,\n+33611111112,,primary\n";
  }
  cfg_.rcs.portability_file = csv.string();
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "rcs:+33611111111", "ported").ok());
  EXPECT_EQ(rcs_["carrier-b"]->messages().size(), 1u);
  EXPECT_TRUE(rcs_["carrier-a"]->messages().empty());
  // Ported to a carrier without a platform here: SMS, whatever its old range says.
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "rcs:+33611111112", "gone").ok());
  EXPECT_TRUE(rcs_["carrier-a"]->messages().empty());
  EXPECT_EQ(sms_->messages().size(), 1u);
}

TEST_F(RcsRouterTest, ABrokenPortabilityTableStopsTheStartWithItsLine) {
  const auto csv = dir_ / "ported.csv";
  {
    std::ofstream out(csv);
    out << "+33611111111,carrier-z,\n";
  }
  cfg_.rcs.portability_file = csv.string();
  auto s = store::Store::open((dir_ / "db").string(), {});
  ASSERT_TRUE(s.ok());
  store_ = std::move(*s);
  registry_ = std::make_unique<ConnectorRegistry>();
  router_ = std::make_unique<Router>(strand_, cfg_, *store_, *registry_, metrics_,
                                     [](std::string_view) { return 1; });
  auto st = router_->load();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("rcs.portability_file"), std::string::npos);
}

}  // namespace
}  // namespace passerelle
