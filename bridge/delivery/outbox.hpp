#pragma once
// The durable outbox (DESIGN.md §4). Every outbound delivery is a row; the outbox hands
// it to its connector, retries with capped backoff and jitter, merges the network's
// reports (every segment's delivery report) into one state, and tells the router how it
// ended. Runs on the core strand: every public method must be called there.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bus/events.hpp"
#include "config/config.hpp"
#include "connector/registry.hpp"
#include "core/metrics.hpp"
#include "store/records.hpp"
#include "store/store.hpp"
#include "store/write_behind.hpp"

namespace passerelle {

struct OutboxHooks {
  std::function<void(const store::DeliveryRow&)> acked;      // the network took it
  std::function<void(const store::DeliveryRow&)> delivered;  // reached the recipient
  std::function<void(const store::DeliveryRow&)>
      failed;  // for good (or unknown and not resent): tell the sender
  std::function<void(const store::DeliveryRow&)> unknown;  // outcome unknown, resent
  std::function<void(const store::DeliveryRow&)>
      refunded;  // its charges were removed: nothing left the bridge
  // Asked before every attempt: a reason not to send it (e.g. the phone sent STOP since).
  std::function<std::optional<std::string>(const store::DeliveryRow&)> refuse;
  // Asked when the network refuses a delivery for good: the router may reach the
  // recipient another way (SMS to a contact who is offline). Returns what to record when
  // it did; the sender then hears of the new delivery, not of this failure.
  std::function<std::optional<std::string>(const store::DeliveryRow&, const DeliveryReport&)>
      rescue;
};

struct OutboxOptions {
  std::int64_t retry_initial_ms = 1000;
  std::int64_t retry_max_ms = 300000;
  int max_attempts = 8;
  std::int64_t expire_after_ms = 86400000;
  bool resend_unknown = true;  // at-least-once: resend after an unknown outcome, and say so
};

class Outbox {
 public:
  // State changes go through `writes` (coalesced per delivery); `store` is for recovery.
  Outbox(boost::asio::any_io_executor strand, store::Store& store, store::WriteBehind& writes,
         const ConnectorRegistry& connectors, Metrics& metrics, OutboxOptions options,
         OutboxHooks hooks);

  // Start-up: loads the open deliveries. Those handed to a connector before a crash have
  // an unknown outcome; the rest are sent again. Blocking; call before the strand runs.
  Status recover();

  // Takes a delivery whose row is already committed, and sends it. A row committed in
  // state `sent` (attempt 1 recorded with the message itself, saving a write) goes to its
  // connector at once; a crash before that leaves it "sent" in the store, so restart
  // treats it as an unknown outcome: at least once, never silently dropped.
  void enqueue(store::DeliveryRow row);

  // A network's report. Its ack, if any, runs once what the report changed is durable. A
  // report whose send result has not come yet is kept (bounded) and answered once that
  // result has come and the report is applied, or once every send handed out to its
  // connector before it has its result and none named it (not this bridge's, or its
  // delivery already ended). Still waiting at the end of a drain: a transient error.
  void on_report(DeliveryReport report);

  // `recipient` (an address, as in DeliveryRow::recipient) came online: the deliveries
  // held for it (hold()) go now. O(deliveries held for it).
  void retry_now(const std::string& recipient);

  // Stops sending new deliveries; `done` once nothing is in flight (or after timeout_ms).
  void drain(std::int64_t timeout_ms, std::function<void()> done);

  std::size_t depth() const { return open_.size(); }
  std::size_t in_flight() const { return in_flight_; }
  // Reports held unanswered until the send result they may belong to comes (on_report).
  std::size_t reports_waiting() const;
  std::map<DeliveryState, std::size_t> count_by_state() const;
  // Store jobs, row writes and commits that failed since start (any thread).
  std::uint64_t failures() const;

 private:
  struct Open {
    store::DeliveryRow row;
    std::map<std::string, DeliveryState> segments;  // network id -> state
    // The store already says "sent, attempt 1" (committed with the message) while the row
    // waits for a connector slot: its first hand-out needs no write of its own.
    bool stored_as_first_send = false;
    bool counted_out = false;  // in passerelle_messages_out_total
    // Bounces while the recipient was away (hold): the store's network ids of earlier
    // copies go with the next write; at most max_attempts resends on the timer.
    int held = 0;
    // Its number among hand-outs to connectors while its send result is awaited; 0: none.
    std::uint64_t handout = 0;
  };

  void apply(DeliveryReport& rep, AckFn& ack);  // takes `ack` when it holds it for later
  // Runs `ack` once every write put so far is durable: a store job runs after every job
  // submitted before it, the write-behind batches included. With an error if a store job
  // or write failed since `mark` (failures() when the report came).
  void settle(AckFn ack, std::uint64_t mark);
  // The delivery's send result came (or it ended without one): no longer awaited.
  void landed(Open& o);
  // Answers the held reports of `connector` that no awaited send can match any more.
  void release_early_acks(const std::string& connector);
  void answer_held_acks(const Status& st);
  void dispatch(const std::string& id);
  void send_now(const std::string& id);
  // `drop_network_ids`: also removes the delivery's network ids from the store.
  void persist(const store::DeliveryRow& row, std::function<void()> after = {},
               bool drop_network_ids = false);
  // The last write of a delivery that leaves memory: its state, no more network ids, and
  // its charges removed when `refund`.
  void persist_closed(const store::DeliveryRow& row, bool refund);
  void retry_later(Open& o, const std::string& reason, bool count_attempt);
  // The recipient is away (its server bounced the message): it waits for them, sent
  // again at once when they come online (retry_now), and on the timer every retry_max_ms
  // at most max_attempts times, without using up its attempts, until expire_after_ms
  // from its creation.
  void hold(Open& o, const std::string& reason);
  void finish(const std::string& id, DeliveryState state, const std::string& reason,
              bool tell_sender = true);
  void arm_timer();
  void on_timer();
  void sweep_expired();
  void check_drained();
  Open* find(const std::string& id);

  boost::asio::any_io_executor strand_;
  store::Store& store_;
  store::WriteBehind& writes_;
  const ConnectorRegistry& connectors_;
  OutboxOptions options_;
  OutboxHooks hooks_;
  std::unordered_map<std::string, Open> open_;
  std::unordered_map<std::string, std::string>
      by_network_id_;                                 // "connector\nnetwork id" -> delivery
  std::multimap<std::int64_t, std::string> waiting_;  // next attempt -> delivery
  // Held deliveries by recipient, for retry_now (entries may be stale: checked on use).
  std::unordered_map<std::string, std::set<std::string>> held_;
  // Delivery reports that arrived before the send result that names their network id
  // (an SMSC may send the receipt right behind submit_sm_resp). Bounded: oldest dropped.
  // Each one kept has a sequence number of its own (`seq`); early_order_ lists them by it,
  // with entries left behind by those applied or replaced since (skipped, and compacted).
  struct EarlyReport {
    DeliveryReport rep;  // with its ack, when held
    std::uint64_t seq = 0;
    // Hand-outs up to this one may name its id (DeliveryReport::may_name_upto, else every
    // hand-out before it came).
    std::uint64_t watermark = 0;
  };
  std::map<std::string, EarlyReport> early_reports_;
  std::deque<std::pair<std::uint64_t, std::string>> early_order_;  // (seq, key)
  std::uint64_t early_seq_ = 0;
  // Network ids of the deliveries ended last ("connector\nid"), most recent last: a later
  // report for one of them, from a connector that does not say which sends it may name
  // (DeliveryReport::may_name_upto), is answered at once instead of kept. Bounded.
  std::unordered_set<std::string> ended_ids_;
  std::deque<std::string> ended_order_;
  static constexpr std::size_t kMaxEndedIds = 4096;
  // Keeps `rep` (which no open delivery's network ids name yet) until a send result names
  // it; takes `ack` when it must wait for that.
  void keep_early(DeliveryReport& rep, AckFn& ack);
  static constexpr std::size_t kMaxEarlyReports = 10000;
  boost::asio::steady_timer timer_;
  std::int64_t timer_at_ = 0;
  boost::asio::steady_timer sweep_timer_;  // expires acked deliveries whose receipt never came
  std::size_t in_flight_ = 0;
  std::uint64_t handouts_ = 0;
  // Back-pressure: at most kMaxInFlightPerConnector deliveries handed to one connector
  // without an answer; the rest wait here, in order, without counting as attempts (the
  // outbox is where work spills, not the connectors' bounded queues).
  struct Slots {
    std::size_t in_flight = 0;
    std::deque<std::string> parked;
    std::set<std::uint64_t> awaiting;  // hand-outs whose send result has not come
    // Early reports whose ack waits for the hand-outs up to their watermark:
    // watermark -> (seq, key in early_reports_).
    std::multimap<std::uint64_t, std::pair<std::uint64_t, std::string>> unmatched;
  };
  // Whether a send handed out up to `watermark` still awaits its result there.
  static bool awaits_upto(const Slots& s, std::uint64_t watermark) {
    return !s.awaiting.empty() && *s.awaiting.begin() <= watermark;
  }
  static constexpr std::size_t kMaxInFlightPerConnector = 256;
  std::unordered_map<std::string, Slots> slots_;
  bool take_slot(const std::string& connector, const std::string& id);  // false: parked
  void release_slot(const std::string& connector);
  void pump(const std::string& connector);
  bool draining_ = false;
  std::function<void()> drained_;
  std::shared_ptr<boost::asio::steady_timer> drain_timer_;

  Counter& sent_;
  Counter& retries_;
  Counter& unknown_;
  Counter& failed_;
  Counter& delivered_;
  // Messages handed to each network for the first time (retries are counted above).
  Counter* out_[std::size(kAllNetworks)] = {};
};

}  // namespace passerelle
