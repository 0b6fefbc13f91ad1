// Reports the network waits an answer for (an SMPP delivery receipt, an RCS status event):
// answered only once what they change is durable, and never left waiting for a send
// result that cannot name them.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include "router_fixture.hpp"
#include "store/db.hpp"

namespace passerelle::router_test {
namespace {

// What an ack was told, and the state of one delivery in the store at that moment, read
// on a connection of its own.
struct Answer {
  std::mutex mu;
  std::optional<Status> status;
  std::string stored_state;

  bool answered() {
    std::lock_guard lock(mu);
    return status.has_value();
  }
  bool ok() {
    std::lock_guard lock(mu);
    return status && status->ok();
  }
  std::string state() {
    std::lock_guard lock(mu);
    return stored_state;
  }
};

class ReportAckTest : public RouterTest {
 protected:
  // A report from the SMSC for `network_id`, whose ack records into the returned Answer
  // the state stored for delivery `delivery` ("": none read).
  std::shared_ptr<Answer> receipt(const std::string& network_id, DeliveryState state,
                                  const std::string& delivery = {}, bool settle_after = true,
                                  std::optional<std::uint64_t> may_name_upto = std::nullopt) {
    auto a = std::make_shared<Answer>();
    DeliveryReport r;
    r.connector = "smpp:primary";
    r.network_id = network_id;
    r.state = state;
    r.may_name_upto = may_name_upto;
    r.ack = [a, delivery, db = (dir_ / "db").string()](Status st) {
      std::string seen;
      if (!delivery.empty()) seen = read_state(db, delivery);
      std::lock_guard lock(a->mu);
      EXPECT_FALSE(a->status.has_value()) << "answered twice";
      a->status = std::move(st);
      a->stored_state = seen;
    };
    router_->handle(std::move(r));
    if (settle_after) settle();
    return a;
  }

  // The first column `query` gives for `key`, read on a connection of its own.
  static std::string stored(const std::string& path, store::Sql query, const std::string& key) {
    auto db = store::Db::open(path);
    if (!db.ok()) return "cannot open: " + db.error().message;
    auto st = (*db)->prepare(query);
    if (!st.ok()) return "cannot read: " + st.error().message;
    (*st)->bind(1, key);
    auto row = (*st)->step();
    return row.ok() && *row ? (*st)->col_text(0) : "no row";
  }
  static std::string read_state(const std::string& path, const std::string& id) {
    return stored(path, "SELECT state FROM deliveries WHERE id = ?1", id);
  }
  // The stored state of one segment (network id) of the SMSC's.
  std::string segment_state(const std::string& network_id) {
    return stored((dir_ / "db").string(), "SELECT state FROM network_ids WHERE network_id = ?1",
                  network_id);
  }

  // Runs `statement` on a connection of its own.
  void sql(const std::string& statement) {
    auto db = store::Db::open((dir_ / "db").string());
    ASSERT_TRUE(db.ok()) << db.error().message;
    ASSERT_TRUE((*db)->exec(statement).ok()) << statement;
  }

  // alice writes to a phone; returns the delivery's id (in flight: no result yet).
  std::string send_one(const std::string& origin) {
    EXPECT_TRUE(
        message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "hello", origin, true).ok());
    return sms_->messages().empty() ? std::string() : sms_->messages().back().delivery_id;
  }

  void taken(const std::string& delivery, const std::string& network_id) {
    report({"smpp:primary", delivery, "", DeliveryState::acked, {network_id}, "", 0, false, 1});
  }
};

TEST_F(ReportAckTest, AReceiptIsAnsweredOnceItsStateIsStored) {
  start();
  const auto id = send_one("o1");
  taken(id, "m1");
  auto a = receipt("m1", DeliveryState::delivered, id);
  ASSERT_TRUE(a->answered());
  EXPECT_TRUE(a->ok());
  EXPECT_EQ(a->state(), "delivered");
  EXPECT_EQ(xmpp_->of<OutboundReceipt>().size(), 1u);
}

TEST_F(ReportAckTest, AReceiptAheadOfItsSubmitResultWaitsForIt) {
  start();
  const auto id = send_one("o1");
  auto a = receipt("m1", DeliveryState::delivered, id);
  EXPECT_FALSE(a->answered());  // a crash now loses nothing: the SMSC delivers it again
  EXPECT_EQ(router_->outbox().reports_waiting(), 1u);
  taken(id, "m1");
  EXPECT_EQ(router_->outbox().reports_waiting(), 0u);
  ASSERT_TRUE(a->answered());
  EXPECT_TRUE(a->ok());
  EXPECT_EQ(a->state(), "delivered");
  EXPECT_EQ(xmpp_->of<OutboundReceipt>().size(), 1u);
}

TEST_F(ReportAckTest, AReceiptNoSendCanNameIsAnsweredWithoutWaitingForLaterSends) {
  start();
  // Nothing handed to that SMSC awaits its result: answered at once.
  auto a0 = receipt("zz0", DeliveryState::delivered);
  EXPECT_TRUE(a0->ok());

  const auto first = send_one("o1");
  auto a1 = receipt("zz1", DeliveryState::delivered);
  EXPECT_FALSE(a1->answered());
  const auto second = send_one("o2");  // handed out after the report: cannot name it
  auto a2 = receipt("zz2", DeliveryState::delivered);
  taken(first, "m1");
  EXPECT_TRUE(a1->ok());         // every send before it has its result
  EXPECT_FALSE(a2->answered());  // the second one has not
  taken(second, "m2");
  EXPECT_TRUE(a2->ok());
  EXPECT_TRUE(xmpp_->of<OutboundReceipt>().empty());
}

TEST_F(ReportAckTest, AReceiptWaitsOnlyForTheSendsTheSmscHasSeen) {
  start();
  const auto first = send_one("o1");
  const auto first_handout = sms_->messages().back().handout;
  const auto second = send_one("o2");
  ASSERT_GT(sms_->messages().back().handout, first_handout);

  // Both await their result, but the SMSC had seen neither when it sent this one (they wait
  // in the connector behind its throughput): it can name none of them.
  auto none = receipt("zz0", DeliveryState::delivered, {}, true, std::uint64_t{0});
  EXPECT_TRUE(none->ok());

  // The SMSC had seen the first one: held until the first has its result, not the second.
  auto a = receipt("zz1", DeliveryState::delivered, {}, true, first_handout);
  EXPECT_FALSE(a->answered());
  taken(first, "m1");
  EXPECT_TRUE(a->ok());
  EXPECT_EQ(router_->outbox().reports_waiting(), 0u);
  taken(second, "m2");
}

TEST_F(ReportAckTest, ALaterReportOfTheSameIdAnswersForTheEarlierOne) {
  start();
  const auto id = send_one("o1");
  auto enroute = receipt("m1", DeliveryState::sent, id);
  auto delivered = receipt("m1", DeliveryState::delivered, id);
  EXPECT_TRUE(enroute->ok());
  EXPECT_FALSE(delivered->answered());
  taken(id, "m1");
  EXPECT_TRUE(delivered->ok());
  EXPECT_EQ(delivered->state(), "delivered");
}

TEST_F(ReportAckTest, TheOldestHeldReportIsAnsweredWhenTooManyWait) {
  start();
  send_one("o1");
  auto oldest = receipt("x0", DeliveryState::delivered, {}, false);
  std::vector<std::shared_ptr<Answer>> rest;
  for (int i = 1; i <= 10000; ++i)
    rest.push_back(receipt("x" + std::to_string(i), DeliveryState::delivered, {}, false));
  settle();
  // Dropped from memory without being applied: the SMSC is asked to send it again.
  ASSERT_TRUE(oldest->answered());
  {
    std::lock_guard lock(oldest->mu);
    ASSERT_FALSE(oldest->status->ok());
    EXPECT_TRUE(oldest->status->error().retryable);
  }
  EXPECT_FALSE(rest.front()->answered());
  EXPECT_FALSE(rest.back()->answered());
  EXPECT_EQ(router_->outbox().reports_waiting(), 10000u);
}

TEST_F(ReportAckTest, AReceiptForADeliveryThatEndedIsAnsweredAtOnce) {
  start();
  const auto first = send_one("o1");
  taken(first, "m1");
  EXPECT_TRUE(receipt("m1", DeliveryState::delivered, first)->ok());
  send_one("o2");  // awaits its result
  // The same id again (an SMSC that gives every segment of a message one id sends one
  // receipt per segment): not held behind the send that awaits its result.
  auto again = receipt("m1", DeliveryState::delivered, first);
  EXPECT_TRUE(again->ok());
  EXPECT_EQ(again->state(), "delivered");
  EXPECT_EQ(router_->outbox().reports_waiting(), 0u);
  EXPECT_EQ(xmpp_->of<OutboundReceipt>().size(), 1u);
}

TEST_F(ReportAckTest, AReceiptWhoseWriteFailsIsRefusedAndStoredWhenItComesAgain) {
  start();
  const auto id = send_one("o1");
  report({"smpp:primary", id, "", DeliveryState::acked, {"m1", "m2"}, "", 0, false, 2});
  // The write of one segment's state fails alone, inside a batch that commits.
  sql("CREATE TRIGGER refuse BEFORE UPDATE ON network_ids WHEN NEW.state = 'delivered' "
      "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END");
  const auto failures = router_->outbox().failures();
  auto a = receipt("m1", DeliveryState::delivered, id);
  ASSERT_TRUE(a->answered());
  EXPECT_FALSE(a->ok());  // the SMSC sends it again
  EXPECT_TRUE(a->status->error().retryable);
  EXPECT_GT(router_->outbox().failures(), failures);
  EXPECT_EQ(segment_state("m1"), "acked");

  sql("DROP TRIGGER refuse");
  auto again = receipt("m1", DeliveryState::delivered, id);
  EXPECT_TRUE(again->ok());
  EXPECT_EQ(segment_state("m1"), "delivered");
  EXPECT_EQ(again->state(), "acked");  // the other segment has no receipt yet
}

TEST_F(ReportAckTest, AnIdTheSmscGivesAgainAppliesToTheNewDelivery) {
  start();
  const auto first = send_one("o1");
  taken(first, "m1");
  EXPECT_TRUE(receipt("m1", DeliveryState::delivered, first)->ok());
  // The SMSC gives the next message the same id, and its receipt overtakes the answer.
  const auto second = send_one("o2");
  const auto handout = sms_->messages().back().handout;
  auto a = receipt("m1", DeliveryState::delivered, second, true, handout);
  EXPECT_FALSE(a->answered());  // the send on the wire may have that id
  taken(second, "m1");
  ASSERT_TRUE(a->answered());
  EXPECT_TRUE(a->ok());
  EXPECT_EQ(a->state(), "delivered");
  EXPECT_EQ(xmpp_->of<OutboundReceipt>().size(), 2u);

  // A copy of the receipt, with nothing on the wire: answered at once, and not kept.
  EXPECT_TRUE(receipt("m1", DeliveryState::delivered, second, true, std::uint64_t{0})->ok());
  EXPECT_EQ(router_->outbox().reports_waiting(), 0u);
  // A receipt for an id no send on the wire has: answered once that send has its result,
  // and not kept either.
  const auto third = send_one("o3");
  auto b = receipt("m9", DeliveryState::delivered, {}, true, sms_->messages().back().handout);
  EXPECT_FALSE(b->answered());
  taken(third, "m3");
  EXPECT_TRUE(b->ok());
  // So neither of them marks a later message the SMSC gives those ids as delivered.
  const auto fourth = send_one("o4");
  taken(fourth, "m1");
  const auto fifth = send_one("o5");
  taken(fifth, "m9");
  EXPECT_EQ(read_state((dir_ / "db").string(), fourth), "acked");
  EXPECT_EQ(read_state((dir_ / "db").string(), fifth), "acked");
  EXPECT_EQ(xmpp_->of<OutboundReceipt>().size(), 2u);
}

TEST_F(ReportAckTest, AnOlderReportSentAgainDoesNotReplaceAFinalOne) {
  start();
  const auto id = send_one("o1");
  auto delivered = receipt("m1", DeliveryState::delivered, id);
  auto enroute = receipt("m1", DeliveryState::sent, id);  // the SMSC sends it again
  EXPECT_TRUE(enroute->ok());
  EXPECT_FALSE(delivered->answered());
  taken(id, "m1");
  EXPECT_TRUE(delivered->ok());
  EXPECT_EQ(delivered->state(), "delivered");
}

// A network whose reports name the delivery itself (RCS: msgId = delivery id): a report
// waits for that delivery only, not for every send before it.
TEST_F(ReportAckTest, AReportNamingItsDeliveryWaitsForThatDeliveryOnly) {
  start();
  sms_->ids_are_delivery_ids = true;
  const auto first = send_one("o1");
  const auto second = send_one("o2");
  // A delivery that is not open (ended, or not this bridge's): answered at once, even
  // with sends awaiting their results.
  EXPECT_TRUE(receipt("01NOTOPEN", DeliveryState::read)->ok());

  auto a2 = receipt(second, DeliveryState::delivered, second);
  EXPECT_FALSE(a2->answered());
  taken(first, first);
  EXPECT_FALSE(a2->answered());  // not the one it names
  taken(second, second);
  EXPECT_TRUE(a2->ok());
  EXPECT_EQ(a2->state(), "delivered");

  // One whose delivery then fails for good: nothing left to record, answered.
  const auto third = send_one("o3");
  auto a3 = receipt(third, DeliveryState::delivered, third);
  EXPECT_FALSE(a3->answered());
  report({"smpp:primary", third, "", DeliveryState::failed, {}, "refused", 0, false, 0});
  EXPECT_TRUE(a3->ok());
  EXPECT_EQ(router_->outbox().reports_waiting(), 0u);
}

TEST_F(ReportAckTest, HeldReportsAreRefusedWhenTheBridgeStops) {
  start();
  send_one("o1");
  auto a = receipt("zz", DeliveryState::delivered);
  EXPECT_FALSE(a->answered());
  bool drained = false;
  router_->drain(50, [&] { drained = true; });
  for (int i = 0; i < 200 && !drained; ++i) {
    io_.restart();
    io_.run_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(drained);
  ASSERT_TRUE(a->answered());
  std::lock_guard lock(a->mu);
  ASSERT_FALSE(a->status->ok());
  EXPECT_TRUE(a->status->error().retryable);  // the SMSC is asked to deliver it again
}

}  // namespace
}  // namespace passerelle::router_test
