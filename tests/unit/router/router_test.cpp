// The router and outbox together: SMS stories (chat with any phone, threading, fallback,
// caps, retries, restarts).

#include <algorithm>

#include "router_fixture.hpp"

namespace passerelle {
namespace {

using router_test::addr;
using router_test::FakeConnector;
using router_test::RouterTest;

TEST_F(RouterTest, XmppUserWritesToAPhoneAndTheReplyComesBack) {
  start();
  ASSERT_TRUE(
      message("xmpp", "xmpp:alice@example.org", "sms:06 11 11 11 11", "hello", "o1", true).ok());
  ASSERT_EQ(sms_->messages().size(), 1u);
  const auto out = sms_->messages()[0];
  EXPECT_EQ(out.from.str(), "sms:+33700000001");
  EXPECT_EQ(out.to.str(), "sms:+33611111111");
  EXPECT_EQ(out.body, "[XMPP] alice@example.org: hello");
  EXPECT_EQ(charged("xmpp:alice@example.org"), 5);

  // Acked with two segment ids, then a receipt per segment: one XEP-0184 receipt.
  ack_last_sms({"m1", "m2"});
  report({"smpp:primary", "", "m1", DeliveryState::delivered, {}, "", 0, false, 0});
  EXPECT_TRUE(xmpp_->of<OutboundReceipt>().empty());  // one segment is not the message
  report({"smpp:primary", "", "m2", DeliveryState::delivered, {}, "", 0, false, 0});
  ASSERT_EQ(xmpp_->of<OutboundReceipt>().size(), 1u);
  EXPECT_EQ(xmpp_->of<OutboundReceipt>()[0].origin_id, "o1");
  EXPECT_EQ(xmpp_->of<OutboundReceipt>()[0].from.str(), "sms:+33611111111");

  // The phone answers the sender number: it reaches alice from the phone's puppet.
  ASSERT_TRUE(message("smpp:primary", "sms:+33611111111", "sms:+33700000001", "hi alice").ok());
  ASSERT_EQ(xmpp_->messages().size(), 1u);
  EXPECT_EQ(xmpp_->messages()[0].from.str(), "sms:+33611111111");
  EXPECT_EQ(xmpp_->messages()[0].to.str(), "xmpp:alice@example.org");
  EXPECT_EQ(xmpp_->messages()[0].body, "hi alice");
}

// The SMSC took every segment, then the phone's network could not deliver one of them:
// the sender hears once that the message failed, never that it was received, whatever
// reports follow.
TEST_F(RouterTest, OneUndeliveredSegmentFailsTheMessageOnceAndNoReceiptFollows) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", std::string(200, 'x'),
                      "o1", true)
                  .ok());
  ack_last_sms({"m1", "m2"});
  report({"smpp:primary", "", "m1", DeliveryState::delivered, {}, "", 0, false, 0});
  report({"smpp:primary", "", "m2", DeliveryState::failed, {}, "the network said no", 0, false, 0});
  EXPECT_TRUE(xmpp_->of<OutboundReceipt>().empty());
  ASSERT_EQ(xmpp_->of<OutboundError>().size(), 1u);
  EXPECT_EQ(xmpp_->of<OutboundError>()[0].origin_id, "o1");
  EXPECT_EQ(xmpp_->of<OutboundError>()[0].to.str(), "xmpp:alice@example.org");
  EXPECT_EQ(xmpp_->of<OutboundError>()[0].error.message,
            "your message to sms:+33611111111 was not delivered: the network said no");
  // A report sent again, or a late one for the other segment, changes nothing.
  report({"smpp:primary", "", "m2", DeliveryState::failed, {}, "UNDELIV", 0, false, 0});
  report({"smpp:primary", "", "m2", DeliveryState::delivered, {}, "", 0, false, 0});
  EXPECT_TRUE(xmpp_->of<OutboundReceipt>().empty());
  EXPECT_EQ(xmpp_->of<OutboundError>().size(), 1u);
  EXPECT_EQ(sms_->messages().size(), 1u);  // the SMSC took it: not sent again

  // The same for a message of one segment.
  ASSERT_TRUE(
      message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "short", "o2", true).ok());
  ack_last_sms({"m3"});
  report({"smpp:primary", "", "m3", DeliveryState::failed, {}, "EXPIRED", 0, false, 0});
  ASSERT_EQ(xmpp_->of<OutboundError>().size(), 2u);
  EXPECT_EQ(xmpp_->of<OutboundError>()[1].origin_id, "o2");
  EXPECT_TRUE(xmpp_->of<OutboundReceipt>().empty());
  EXPECT_EQ(router_->outbox().depth(), 0u);
}

// An XMPP user who is offline, on a server that keeps nothing for them, bounces the
// message (service-unavailable): it is kept and goes again as soon as they come online.
// A bounce for good (item-not-found) fails it at once.
TEST_F(RouterTest, AMessageBouncedWhileTheXmppUserIsOfflineGoesWhenTheyComeBack) {
  const auto id = phone_answers_alice(60000);  // only presence sends it again
  ASSERT_FALSE(HasFailure());
  taken_then_bounced("xmpp", id, "x1");
  EXPECT_EQ(xmpp_->messages().size(), 1u);  // not at once: alice is away
  // Open: alice's SMS (its receipt may come) and the message waiting for her.
  EXPECT_EQ(router_->outbox().depth(), 2u);

  alice_comes_online();
  ASSERT_EQ(xmpp_->messages().size(), 2u);
  EXPECT_EQ(xmpp_->messages()[1].delivery_id, id);
  EXPECT_EQ(xmpp_->messages()[1].body, "hi alice");
  report({"xmpp", id, "", DeliveryState::acked, {"x2"}, "", 0, false, 1});
  report({"xmpp", "", "x1", DeliveryState::failed, {}, "service-unavailable", 503, true, 0});
  EXPECT_EQ(router_->outbox().depth(), 2u);  // the first copy's bounce again: no effect
  EXPECT_EQ(xmpp_->messages().size(), 2u);

  // Away again, and back, more often than max_attempts (3 here): waiting for her does
  // not use up the message's attempts.
  for (int i = 3; i <= 5; ++i) {
    const auto bounced = "x" + std::to_string(i - 1);
    report({"xmpp", "", bounced, DeliveryState::failed, {}, "service-unavailable", 503, true, 0});
    alice_comes_online();
    ASSERT_EQ(xmpp_->messages().size(), static_cast<std::size_t>(i));
    report({"xmpp", id, "", DeliveryState::acked, {"x" + std::to_string(i)}, "", 0, false, 1});
  }

  // The same user refused for good: no more attempts.
  report({"xmpp", "", "x5", DeliveryState::failed, {}, "item-not-found", 404, false, 0});
  EXPECT_EQ(router_->outbox().depth(), 1u);
  alice_comes_online();
  EXPECT_EQ(xmpp_->messages().size(), 5u);
}

// A message held for an XMPP user who stays away fails once delivery.expire_after_s has
// passed, and says so.
TEST_F(RouterTest, AMessageHeldForAnXmppUserWhoStaysAwayExpires) {
  cfg_.delivery.expire_after_s = 1;
  const auto id = phone_answers_alice(60000);
  ASSERT_FALSE(HasFailure());
  taken_then_bounced("xmpp", id, "x1");
  EXPECT_EQ(router_->outbox().depth(), 2u);  // held
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  alice_comes_online();
  ASSERT_EQ(xmpp_->messages().size(), 2u);
  report({"xmpp", id, "", DeliveryState::acked, {"x2"}, "", 0, false, 1});
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  // Gone again when it arrives, and by now the second is up: it fails, and says why.
  report({"xmpp", "", "x2", DeliveryState::failed, {}, "service-unavailable", 503, true, 0});
  EXPECT_EQ(router_->outbox().depth(), 1u);  // only alice's SMS is still open
  EXPECT_EQ(delivery_reason(id), "still not delivered after 1 s: service-unavailable");
  alice_comes_online();
  EXPECT_EQ(xmpp_->messages().size(), 2u);
}

// Held for a user whose presence never reaches the bridge: sent again on the timer, at
// most max_attempts times (3 here), then only when she comes back.
TEST_F(RouterTest, AHeldMessageGoesAgainOnTheTimerAFewTimes) {
  const auto id = phone_answers_alice(20);
  ASSERT_FALSE(HasFailure());
  auto bounce = [&](int n) {
    taken_then_bounced("xmpp", id, "x" + std::to_string(n));
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    settle();
  };
  for (int n = 1; n <= 3; ++n) {
    bounce(n);
    ASSERT_EQ(xmpp_->messages().size(), static_cast<std::size_t>(n + 1)) << "timer resend " << n;
  }
  bounce(4);
  EXPECT_EQ(xmpp_->messages().size(), 4u);   // no more on the timer
  EXPECT_EQ(router_->outbox().depth(), 2u);  // still held
  alice_comes_online();
  EXPECT_EQ(xmpp_->messages().size(), 5u);
  // That copy meets a connector that is reconnecting: an ordinary retry, with the
  // attempts of the message left (waiting for alice used none of them).
  report({"xmpp", id, "", DeliveryState::failed, {}, "not connected", 0, true, 0});
  EXPECT_EQ(router_->outbox().depth(), 2u);
  EXPECT_EQ(delivery_reason(id), "not connected");
}

// A restart while a message is held: the bounced copy's id is not taken for a part of
// it, so the next bounce holds it again instead of failing it.
TEST_F(RouterTest, AHeldMessageIsStillHeldAfterARestart) {
  const auto id = phone_answers_alice(60000);
  ASSERT_FALSE(HasFailure());
  taken_then_bounced("xmpp", id, "x1");
  restart();  // the held message goes again at start
  ASSERT_EQ(xmpp_->messages().size(), 1u);
  EXPECT_EQ(xmpp_->messages()[0].delivery_id, id);
  taken_then_bounced("xmpp", id, "x2");
  EXPECT_EQ(router_->outbox().depth(), 2u);  // held again, not failed
  EXPECT_EQ(delivery_reason(id), "service-unavailable");
  alice_comes_online();
  ASSERT_EQ(xmpp_->messages().size(), 2u);
  report({"xmpp", id, "", DeliveryState::acked, {"x3"}, "", 0, false, 1});
  report({"xmpp", "", "x3", DeliveryState::delivered, {}, "", 0, false, 0});
  EXPECT_EQ(router_->outbox().depth(), 1u);  // delivered: x1 and x2 are not waited for
}

// With a pool of sender numbers, two people writing to the same phone write from two
// numbers, and the phone's answer to each number reaches the right one, also after a
// restart.
TEST_F(RouterTest, APoolOfSenderNumbersThreadsEachAnswerToItsConversation) {
  cfg_.sms.sender_numbers = {"+33700000001", "+33700000002"};
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "from alice").ok());
  ack_last_sms({"m1"});
  ASSERT_TRUE(message("xmpp", "xmpp:dave@example.org", "sms:+33611111111", "from dave").ok());
  ack_last_sms({"m2"});
  ASSERT_EQ(sms_->messages().size(), 2u);
  const auto alice_number = sms_->messages()[0].from.str();
  const auto dave_number = sms_->messages()[1].from.str();
  EXPECT_NE(alice_number, dave_number);

  for (int round = 0; round < 2; ++round) {
    xmpp_->sent.clear();
    ASSERT_TRUE(message("smpp:primary", "sms:+33611111111", dave_number, "to dave").ok());
    ASSERT_TRUE(message("smpp:primary", "sms:+33611111111", alice_number, "to alice").ok());
    ASSERT_EQ(xmpp_->messages().size(), 2u) << "round " << round;
    EXPECT_EQ(xmpp_->messages()[0].to.str(), "xmpp:dave@example.org");
    EXPECT_EQ(xmpp_->messages()[0].body, "to dave");
    EXPECT_EQ(xmpp_->messages()[1].to.str(), "xmpp:alice@example.org");
    EXPECT_EQ(xmpp_->messages()[1].body, "to alice");
    if (round == 0) restart();
  }
}

TEST_F(RouterTest, ReceiptThatOvertakesTheSubmitResultIsKept) {
  start();
  ASSERT_TRUE(
      message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "hello", "o1", true).ok());
  report({"smpp:primary", "", "m1", DeliveryState::delivered, {}, "", 0, false, 0});
  ack_last_sms({"m1"});
  EXPECT_EQ(xmpp_->of<OutboundReceipt>().size(), 1u);
}

TEST_F(RouterTest, StrangersAndBadNumbersAreRefusedAndNothingIsSent) {
  start();
  auto st = message("xmpp", "xmpp:mallory@evil.example", "sms:+33611111111", "spam");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::not_allowed);
  st = message("xmpp", "xmpp:alice@example.org", "sms:12", "hi");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::invalid_input);
  st = message("xmpp", "xmpp:alice@example.org", "sms:01 42 68 53 00", "hi");  // fixed line
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::not_allowed);
  EXPECT_TRUE(sms_->sent.empty());
}

TEST_F(RouterTest, TooLongForSmsIsRefusedBeforeAnythingIsCharged) {
  start();
  auto st = message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", std::string(40000, 'a'));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::invalid_input);
  EXPECT_TRUE(sms_->sent.empty());
  EXPECT_EQ(charged("xmpp:alice@example.org"), 0);
}

TEST_F(RouterTest, SpendingCapStopsSendingWithAClearError) {
  cfg_.sms.default_monthly_cap = 12;  // 5 per segment: two messages, not three
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "one").ok());
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "two").ok());
  auto st = message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "three");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::limit_exceeded);
  EXPECT_NE(st.error().message.find("cap"), std::string::npos);
  EXPECT_EQ(sms_->messages().size(), 2u);
  EXPECT_EQ(charged("xmpp:alice@example.org"), 10);
  // The cap survives a restart: the charging records are the truth.
  restart();
  EXPECT_FALSE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "four").ok());
}

TEST_F(RouterTest, FailureBeforeSendingRefundsAndTellsTheSender) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "hello", "o9").ok());
  EXPECT_EQ(charged("xmpp:alice@example.org"), 5);
  auto m = sms_->messages().back();
  report({"smpp:primary",
          m.delivery_id,
          "",
          DeliveryState::failed,
          {},
          "ESME_RINVDSTADR",
          0x0b,
          false,
          0});
  ASSERT_EQ(xmpp_->of<OutboundError>().size(), 1u);
  EXPECT_EQ(xmpp_->of<OutboundError>()[0].origin_id, "o9");
  EXPECT_NE(xmpp_->of<OutboundError>()[0].error.message.find("ESME_RINVDSTADR"), std::string::npos);
  EXPECT_EQ(charged("xmpp:alice@example.org"), 0);
}

TEST_F(RouterTest, RetryableFailuresAreRetriedThenGivenUp) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "hello").ok());
  for (int i = 0; i < 3; ++i) {
    auto m = sms_->messages().back();
    EXPECT_EQ(m.attempt, i + 1);
    report({"smpp:primary",
            m.delivery_id,
            "",
            DeliveryState::failed,
            {},
            "ESME_RMSGQFUL",
            0x14,
            true,
            0});
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    settle();
  }
  EXPECT_EQ(sms_->messages().size(), 3u);  // max_attempts
  ASSERT_EQ(xmpp_->of<OutboundError>().size(), 1u);
  EXPECT_NE(xmpp_->of<OutboundError>()[0].error.message.find("gave up after 3 attempts"),
            std::string::npos);
}

TEST_F(RouterTest, UnknownOutcomeIsResentAndCounted) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "hello").ok());
  auto m = sms_->messages().back();
  report({"smpp:primary",
          m.delivery_id,
          "",
          DeliveryState::unknown,
          {},
          "connection lost",
          0,
          false,
          0});
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  settle();
  ASSERT_EQ(sms_->messages().size(), 2u);
  EXPECT_EQ(sms_->messages()[1].delivery_id, m.delivery_id);
  EXPECT_NE(metrics_.render().find("passerelle_deliveries_total{outcome=\"unknown\"} 1"),
            std::string::npos);
  EXPECT_EQ(charged("xmpp:alice@example.org"), 10);  // both attempts may be billed
}

TEST_F(RouterTest, DuplicateOriginIsNotSentTwice) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "hello", "same").ok());
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "hello", "same").ok());
  EXPECT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(charged("xmpp:alice@example.org"), 5);
  EXPECT_NE(metrics_.render().find("passerelle_messages_duplicate_total{network=\"xmpp\"} 1"),
            std::string::npos);
}

TEST_F(RouterTest, DuplicateOriginIsRecognisedAfterARestart) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "hello", "same").ok());
  restart();
  // The network sends it again (its acknowledgement was lost in the crash).
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "hello", "same").ok());
  // Another sender's message with the same id is no duplicate.
  ASSERT_TRUE(message("xmpp", "xmpp:dave@example.org", "sms:+33611111111", "hi", "same").ok());
  std::int64_t stored = -1;
  ASSERT_TRUE(store_
                  ->run_sync([&](store::Db& db) -> Status {
                    auto st = db.prepare("SELECT count(*) FROM messages WHERE origin_id = 'same'");
                    if (!st.ok()) return st.error();
                    auto row = (*st)->step();
                    if (!row.ok()) return row.error();
                    stored = (*st)->col_int(0);
                    (*st)->reset();
                    return {};
                  })
                  .ok());
  EXPECT_EQ(stored, 2);  // alice's once, dave's once
}

TEST_F(RouterTest, SameStanzaIdFromAnotherUserIsNotADuplicate) {
  start();
  ASSERT_TRUE(
      message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "from alice", "1").ok());
  ASSERT_TRUE(message("xmpp", "xmpp:dave@example.org", "sms:+33611111111", "from dave", "1").ok());
  EXPECT_EQ(sms_->messages().size(), 2u);
  EXPECT_NE(metrics_.render().find("passerelle_messages_duplicate_total{network=\"xmpp\"} 0"),
            std::string::npos);
}

TEST_F(RouterTest, StopAndStart) {
  start();
  ASSERT_TRUE(message("smpp:primary", "sms:+33611111111", "sms:+33700000001", " Stop ").ok());
  ASSERT_EQ(sms_->messages().size(), 1u);  // the confirmation
  EXPECT_NE(sms_->messages()[0].body.find("START"), std::string::npos);
  auto st = message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "hello");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("STOP"), std::string::npos);
  restart();  // the opt-out is durable
  EXPECT_FALSE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "hello").ok());
  ASSERT_TRUE(message("smpp:primary", "sms:+33611111111", "sms:+33700000001", "START").ok());
  EXPECT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "hello").ok());
}

TEST_F(RouterTest, RepliesThreadToTheLatestAndAtPicksAnother) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "from alice").ok());
  ack_last_sms({"a1"});
  ASSERT_TRUE(message("xmpp", "xmpp:dave@example.org", "sms:+33611111111", "from dave").ok());
  ack_last_sms({"d1"});
  ASSERT_TRUE(
      message("smpp:primary", "sms:+33611111111", "sms:+33700000001", "to the latest").ok());
  ASSERT_EQ(xmpp_->messages().size(), 1u);
  EXPECT_EQ(xmpp_->messages()[0].to.str(), "xmpp:dave@example.org");
  ASSERT_TRUE(message("smpp:primary", "sms:+33611111111", "sms:+33700000001",
                      "@xmpp:alice@example.org hi a")
                  .ok());
  ASSERT_EQ(xmpp_->messages().size(), 2u);
  EXPECT_EQ(xmpp_->messages()[1].to.str(), "xmpp:alice@example.org");
  EXPECT_EQ(xmpp_->messages()[1].body, "hi a");
  // Nobody this phone has talked to: a help SMS, never a delivery.
  const auto before = sms_->messages().size();
  ASSERT_TRUE(
      message("smpp:primary", "sms:+33611111111", "sms:+33700000001", "@xmpp:eve@example.org x")
          .ok());
  EXPECT_EQ(xmpp_->messages().size(), 2u);
  ASSERT_EQ(sms_->messages().size(), before + 1);
  EXPECT_EQ(sms_->messages().back().to.str(), "sms:+33611111111");
  // A phone nobody wrote to gets help, and threads survive a restart.
  ASSERT_TRUE(message("smpp:primary", "sms:+33699999999", "sms:+33700000001", "who is this").ok());
  EXPECT_EQ(sms_->messages().back().to.str(), "sms:+33699999999");
  restart();
  ASSERT_TRUE(
      message("smpp:primary", "sms:+33611111111", "sms:+33700000001", "after restart").ok());
  // The outbox resends, after the restart, what the fake connector never answered: find
  // this reply among them rather than taking the last one handed out.
  const auto sent = xmpp_->messages();
  const auto reply = std::find_if(sent.rbegin(), sent.rend(), [](const OutboundMessage& m) {
    return m.body == "after restart";
  });
  ASSERT_NE(reply, sent.rend());
  EXPECT_EQ(reply->to.str(), "xmpp:alice@example.org");
}

TEST_F(RouterTest, OfflineFallbackOnlyWhileThePersonIsOffline) {
  start();
  presence("xmpp:bob@example.org", true);
  ASSERT_TRUE(
      message("xmpp-client", "xmpp:carol@other.example", "xmpp:bob@example.org", "are you there")
          .ok());
  EXPECT_TRUE(sms_->sent.empty());  // bob's own client has it
  presence("xmpp:bob@example.org", false);
  ASSERT_TRUE(
      message("xmpp-client", "xmpp:carol@other.example", "xmpp:bob@example.org", "call me").ok());
  ASSERT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(sms_->messages()[0].to.str(), "sms:+33622222222");
  EXPECT_EQ(sms_->messages()[0].body, "[XMPP] carol@other.example: call me");
  EXPECT_EQ(charged("bob"), 5);
  ack_last_sms({"c1"});
  // Bob answers by SMS: it leaves from his own account, to carol.
  ASSERT_TRUE(message("smpp:primary", "sms:+33622222222", "sms:+33700000001", "on my way").ok());
  ASSERT_EQ(client_->messages().size(), 1u);
  EXPECT_EQ(client_->messages()[0].from.str(), "xmpp:bob@example.org");
  EXPECT_EQ(client_->messages()[0].to.str(), "xmpp:carol@other.example");
  EXPECT_EQ(client_->messages()[0].body, "on my way");
}

// Bob's SMS answer leaves from his linked account (client mode); carol is offline and her
// server bounces it. The account sees carol come back (her presence in its roster): the
// message goes again then. Carol's presence seen by bob's account says nothing about bob.
TEST_F(RouterTest, AnAnswerFromALinkedAccountBouncedByAnOfflineContactGoesWhenSheIsBack) {
  client_receipts_ = true;
  cfg_.delivery.retry_initial_ms = cfg_.delivery.retry_max_ms = 60000;  // only presence
  start();
  presence("xmpp:bob@example.org", false);
  ASSERT_TRUE(
      message("xmpp-client", "xmpp:carol@other.example", "xmpp:bob@example.org", "call me").ok());
  ack_last_sms({"c1"});
  ASSERT_TRUE(message("smpp:primary", "sms:+33622222222", "sms:+33700000001", "on my way").ok());
  ASSERT_EQ(client_->messages().size(), 1u);
  const auto id = client_->messages()[0].delivery_id;
  taken_then_bounced("xmpp-client", id, "k1");
  EXPECT_EQ(client_->messages().size(), 1u);  // held: carol is away
  EXPECT_EQ(delivery_reason(id), "service-unavailable");

  InboundPresence back;
  back.connector = "xmpp-client";
  back.who = addr("xmpp:carol@other.example");
  back.observer = addr("xmpp:bob@example.org");
  back.presence.state = PresenceState::available;
  router_->handle(back);
  settle();
  ASSERT_EQ(client_->messages().size(), 2u);
  EXPECT_EQ(client_->messages()[1].delivery_id, id);
  EXPECT_EQ(client_->messages()[1].to.str(), "xmpp:carol@other.example");
  EXPECT_EQ(client_->messages()[1].body, "on my way");

  // Bob is still offline for the router: carol's next message still goes by SMS.
  ASSERT_TRUE(
      message("xmpp-client", "xmpp:carol@other.example", "xmpp:bob@example.org", "ok").ok());
  EXPECT_EQ(sms_->messages().size(), 2u);
}

TEST_F(RouterTest, AMessageThatNeverReachedThePhoneDoesNotCaptureItsReplies) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "from alice").ok());
  ack_last_sms({"a1"});
  ASSERT_TRUE(message("xmpp", "xmpp:dave@example.org", "sms:+33611111111", "from dave").ok());
  auto m = sms_->messages().back();
  report({"smpp:primary",
          m.delivery_id,
          "",
          DeliveryState::failed,
          {},
          "ESME_RINVDSTADR",
          0x0b,
          false,
          0});
  ASSERT_TRUE(message("smpp:primary", "sms:+33611111111", "sms:+33700000001", "reply").ok());
  ASSERT_EQ(xmpp_->messages().size(), 1u);
  EXPECT_EQ(xmpp_->messages()[0].to.str(), "xmpp:alice@example.org");  // not dave
  // The refund reaches the in-memory spend too: dave can spend his whole cap again.
  EXPECT_EQ(charged("xmpp:dave@example.org"), 0);
}

TEST_F(RouterTest, StopCancelsWhatIsStillQueued) {
  cfg_.delivery.retry_initial_ms = 200;  // the retry comes after the STOP
  cfg_.delivery.retry_max_ms = 200;
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "hello").ok());
  auto m = sms_->messages().back();
  report({"smpp:primary",
          m.delivery_id,
          "",
          DeliveryState::failed,
          {},
          "ESME_RTHROTTLED",
          0x58,
          true,
          0});
  ASSERT_TRUE(message("smpp:primary", "sms:+33611111111", "sms:+33700000001", "STOP").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  settle();
  // Only the STOP confirmation went out after the STOP, not the retry.
  ASSERT_EQ(sms_->messages().size(), 2u);
  EXPECT_NE(sms_->messages()[1].body.find("START"), std::string::npos);
  ASSERT_EQ(xmpp_->of<OutboundError>().size(), 1u);
  EXPECT_NE(xmpp_->of<OutboundError>()[0].error.message.find("STOP"), std::string::npos);
}

TEST_F(RouterTest, HelpIsSentAtMostOncePerHourUnlessAskedFor) {
  start();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(message("smpp:primary", "sms:+33699999999", "sms:+33700000001",
                        "auto-reply " + std::to_string(i))
                    .ok());
  EXPECT_EQ(sms_->messages().size(), 1u);
  ASSERT_TRUE(message("smpp:primary", "sms:+33699999999", "sms:+33700000001", "HELP").ok());
  EXPECT_EQ(sms_->messages().size(), 2u);
}

TEST_F(RouterTest, OneIdForAllSegmentsStillFinishes) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", std::string(400, 'x'),
                      "o1", true)
                  .ok());
  auto m = sms_->messages().back();
  DeliveryReport acked{
      "smpp:primary", m.delivery_id, "", DeliveryState::acked, {"same"}, "", 0, false, 3};
  report(acked);
  report({"smpp:primary", "", "same", DeliveryState::delivered, {}, "", 0, false, 0});
  EXPECT_EQ(xmpp_->of<OutboundReceipt>().size(), 1u);
  EXPECT_EQ(router_->outbox().depth(), 0u);
}

TEST_F(RouterTest, PartlySentIsNotRefunded) {
  start();
  ASSERT_TRUE(
      message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", std::string(400, 'x')).ok());
  EXPECT_EQ(charged("xmpp:alice@example.org"), 15);
  auto m = sms_->messages().back();
  report({"smpp:primary",
          m.delivery_id,
          "",
          DeliveryState::failed,
          {"s1"},
          "ESME_RSYSERR",
          0x08,
          false,
          1});
  EXPECT_EQ(sms_->messages().size(), 1u);  // not sent again
  EXPECT_EQ(charged("xmpp:alice@example.org"), 15);
  EXPECT_EQ(xmpp_->of<OutboundError>().size(), 1u);
}

TEST_F(RouterTest, AConnectorGetsAtMost256UnansweredDeliveriesTheRestWait) {
  cfg_.sms.default_monthly_cap = 0;
  start();
  for (int i = 0; i < 300; ++i)
    ASSERT_TRUE(
        message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "m" + std::to_string(i))
            .ok());
  EXPECT_EQ(sms_->messages().size(), 256u);
  EXPECT_EQ(router_->outbox().in_flight(), 256u);
  for (int i = 0; i < 50; ++i) {
    auto m = sms_->messages()[static_cast<size_t>(i)];
    router_->handle(DeliveryReport{"smpp:primary",
                                   m.delivery_id,
                                   "",
                                   DeliveryState::acked,
                                   {"n" + std::to_string(i)},
                                   "",
                                   0,
                                   false,
                                   1});
  }
  settle();
  EXPECT_EQ(sms_->messages().size(), 300u);  // the waiting ones went out as slots freed
  for (const auto& m : sms_->messages()) EXPECT_EQ(m.attempt, 1);  // waiting is not an attempt
}

TEST_F(RouterTest, QueuedDeliveriesSurviveARestart) {
  start();
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "one").ok());
  ASSERT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "two").ok());
  ack_last_sms({"m2"});  // "two" acked, "one" handed over with no answer
  restart();
  // "one" had an unknown outcome: it is sent again; "two" waits for its receipt.
  ASSERT_EQ(sms_->messages().size(), 1u);
  EXPECT_EQ(sms_->messages()[0].body, "[XMPP] alice@example.org: one");
  EXPECT_EQ(router_->outbox().depth(), 2u);
  report({"smpp:primary", "", "m2", DeliveryState::delivered, {}, "", 0, false, 0});
  EXPECT_EQ(router_->outbox().depth(), 1u);
}

TEST_F(RouterTest, RegistrationLinksAPhone) {
  start();
  auto result = std::make_shared<std::optional<Status>>();
  Registration r;
  r.connector = "xmpp";
  r.user = addr("xmpp:alice@example.org");
  r.phone = "06 33 33 33 33";
  r.ack = [result](Status st) { *result = st; };
  router_->handle(std::move(r));
  settle();
  ASSERT_TRUE(result->has_value());
  EXPECT_TRUE((*result)->ok());
  auto* p = router_->directory().person_of(addr("xmpp:alice@example.org"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->phone, "+33633333333");
  Registration bad;
  bad.user = addr("xmpp:alice@example.org");
  bad.phone = "not a number";
  bad.ack = [result](Status st) { *result = st; };
  router_->handle(std::move(bad));
  settle();
  EXPECT_FALSE((*result)->ok());
}

}  // namespace
}  // namespace passerelle
