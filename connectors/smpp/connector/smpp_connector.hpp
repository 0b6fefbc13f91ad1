#pragma once
// The SMS connector for one SMSC (DESIGN.md §6 smpp): an SMPP 3.4 ESME bound as a
// transceiver, or as a transmitter plus a receiver (two connections), per config::Smsc.
//
// Threads: every public method may be called from any thread and never blocks; the work
// runs on the connector's own strand. Events go to the EventSink from that strand.
// Lifetime: destroy only after stop()'s `done` ran, or after the io_context has stopped.
//
// Outbound: OutboundMessage → segments (GSM 7-bit or UCS-2, 8-bit concatenation refs) →
// submit_sm, at most `window` outstanding and `throughput` per second. Results are
// DeliveryReport events with the OutboundMessage's delivery_id:
//   acked   all segments accepted; network_ids = each segment's message_id
//   failed  a permanent error status (protocol_status, status name in reason), or the
//           pending queue is full / the connector stopped (retryable = true)
//   unknown a segment was written but got no response (timeout, connection lost); it is
//           never resent, and reason names the segments.
// ESME_RTHROTTLED / ESME_RMSGQFUL pause the whole link and resend the same segment.
//
// Inbound: delivery receipts → DeliveryReport{network_id}; mobile-originated messages are
// reassembled and published as InboundMessage; the last part's deliver_sm_resp waits for
// the AckFn (ESME_ROK, or ESME_RX_T_APPN so the SMSC redelivers).

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "connector/connector.hpp"
#include "smpp/codec/reassembler.hpp"
#include "smpp/codec/segmenter.hpp"
#include "smpp/connector/part_journal.hpp"
#include "smpp/session/link.hpp"

namespace passerelle::smpp {

class SmppConnector final : public Connector, private LinkOwner {
 public:
  // Messages accepted but not fully submitted yet. Past this, send() reports failed with
  // retryable = true and the outbox tries again later.
  static constexpr std::size_t kMaxQueue = 1024;

  // `part_journal`: where parts of long SMS answered before their message is committed are
  // kept (part_journal.hpp); empty keeps them in memory only.
  SmppConnector(asio::io_context& io, const config::Smsc& smsc, const config::SmsSection& sms,
                EventSink& sink, std::filesystem::path part_journal = {});
  ~SmppConnector() override;

  const std::string& name() const override { return name_; }
  Network network() const override { return Network::sms; }
  Capabilities capabilities() const override;
  void start() override;
  void stop(std::function<void()> done) override;
  void send(OutboundEvent event) override;
  ConnectorStatus status() const override;
  // Times the throughput limit's timer woke the sender (tests: PDUs go out in groups).
  std::uint64_t pump_wakeups() const { return pump_wakeups_; }

 private:
  struct OutMsg;
  enum class SegState : std::uint8_t { queued, written, acked, failed, unknown };

  // LinkOwner, on the strand.
  void on_link_state(Link& link, LinkState s, const std::string& reason) override;
  void on_link_up(Link& link) override;
  void on_request(Link& link, const std::shared_ptr<Conn>& conn, Pdu pdu) override;
  void on_window_change() override { pump(); }

  // Outbound (smpp_connector.cpp), on the strand.
  void accept(OutboundMessage m);
  void pump();
  void arm_pump(Clock::time_point at);
  Link* tx_link();
  void on_submit_resp(const std::shared_ptr<OutMsg>& m, std::size_t idx, Link* link,
                      const Pdu* resp);
  void finish_if_done(const std::shared_ptr<OutMsg>& m);
  void report_failed(const OutboundMessage& m, std::string reason, bool retryable, int status = 0);
  void publish_state();
  void maybe_finish_stop();

  // Inbound (inbound.cpp), on the strand.
  // Answered once the core has stored what it changed (or with a temporary error, so that
  // the SMSC delivers it again).
  void handle_receipt(Link& link, const std::shared_ptr<Conn>& conn, const Pdu& pdu,
                      const ShortMessageBody& sm);
  void handle_mo(Link& link, const std::shared_ptr<Conn>& conn, const Pdu& pdu,
                 const ShortMessageBody& sm);
  void log_dropped(const std::vector<DroppedPartial>& dropped);
  // A response the SMSC waits for: a part of a long SMS is answered only once the whole
  // message is committed, so that a crash before then loses nothing (the SMSC redelivers
  // every part it got no answer for). Bounded in count and time (smsc.part_hold_ms): past
  // either, a part is answered as accepted, so that an SMSC that waits for each answer
  // before the next part (window 1) is only slowed down.
  struct PartResponse {
    Link* link = nullptr;
    std::weak_ptr<Conn> conn;
    Pdu resp;
    std::int64_t since_ms = 0;
    std::optional<Part> part;  // written to the journal if answered before its message commits
  };
  void hold_part_response(const std::string& key, Link& link, const std::shared_ptr<Conn>& conn,
                          Pdu resp, std::optional<Part> part);
  // Parts about to be answered before their message is committed: to the journal first.
  void journal(const std::vector<PartResponse>& parts);
  void journal_done(const std::string& source, const std::string& destination, std::uint16_t ref,
                    std::uint8_t total);
  void journal_done(const Reassembled& msg);
  void recover_parts();
  std::vector<PartResponse> take_part_responses(const std::string& key);
  static void answer_parts(const std::vector<PartResponse>& parts);
  void answer_old_parts(std::int64_t now);
  void arm_part_timer();
  // seq: the part number of the PDU that completed a long SMS (0 for a single one).
  void publish_mo(Link& link, const std::shared_ptr<Conn>& conn, const Pdu& pdu, Reassembled msg,
                  std::uint8_t seq, std::vector<PartResponse> parts = {});
  static std::string held_key(const std::string& src, const std::string& dst, std::uint16_t ref,
                              std::uint8_t total);
  // The deliver_sm of a message, as stored_unanswered_ knows it: a single SMS by its text,
  // a part of a long one by its concatenation reference and number.
  static std::string pdu_key(const std::string& src, const std::string& dst,
                             const std::optional<Concat>& concat, const std::string& text);
  // `unanswered`: the part numbers of a long SMS whose answers could not be sent.
  void remember_stored(const Reassembled& msg, const std::vector<std::uint8_t>& unanswered);
  bool redelivery_of_stored(const std::string& key, const std::string& source);
  asio::awaitable<void> housekeeping();

  Strand strand_;
  config::Smsc smsc_;
  config::SmsSection sms_;
  EventSink& sink_;
  std::string name_;
  std::shared_ptr<spdlog::logger> log_;
  std::vector<std::unique_ptr<Link>> links_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // AckFns check it

  std::deque<std::shared_ptr<OutMsg>> queue_;  // messages with segments still to write
  std::size_t in_flight_ = 0;                  // accepted, not yet reported
  // OutboundMessage::handout of the messages with a segment written and no result reported
  // yet: a receipt can only name these (DeliveryReport::may_name_upto).
  std::set<std::uint64_t> on_wire_;
  std::uint8_t next_ref_ = 0;
  asio::steady_timer pump_timer_;
  Clock::time_point pump_at_ = Clock::time_point::max();
  std::uint64_t pump_wakeups_ = 0;
  double tokens_ = 1;
  Clock::time_point refill_at_ = Clock::now();
  Clock::time_point pause_until_{};
  int throttle_level_ = 0;

  Reassembler reassembler_;
  PartJournal journal_;
  // Long SMS the core refused (or whose answer could not be sent): the SMSC redelivers only
  // the part it got no ESME_ROK for, and the reassembler has let go of the others, so the
  // whole text is kept here until that part comes back. Bounded; entries expire with the
  // reassembly timeout.
  std::map<std::string, std::pair<std::int64_t, Reassembled>> held_;
  static constexpr std::size_t kMaxHeld = 256;
  // The deliver_sm of messages the core stored after their connection had closed, so that
  // no ESME_ROK reached the SMSC: it will deliver them again. Each is answered ESME_ROK
  // once more and not passed on, the first time it comes back within kStoredUnansweredMs.
  // By pdu_key; the value is when it is forgotten. Bounded.
  std::map<std::string, std::int64_t> stored_unanswered_;
  struct Copies {
    int in_flight = 0;            // passed on, not yet answered by the core
    std::uint64_t published = 0;  // passed on while any was in flight
  };
  std::map<std::string, Copies> publishing_;  // by message (publish_mo)
  static constexpr std::size_t kMaxStoredUnanswered = 4096;
  static constexpr std::int64_t kStoredUnansweredMs = 15 * 60 * 1000;
  std::map<std::string, std::vector<PartResponse>> part_responses_;  // by held_key
  std::size_t part_responses_held_ = 0;
  static constexpr std::size_t kMaxPartResponses = 64;
  asio::steady_timer housekeeping_timer_;
  asio::steady_timer part_timer_;  // armed while part responses are held
  bool part_timer_armed_ = false;
  bool started_ = false;
  bool stopping_ = false;
  std::size_t links_stopped_ = 0;
  std::function<void()> stop_done_;

  std::string last_reason_;       // words of the latest link state change
  mutable std::mutex status_mu_;  // status() is called from any thread
  ConnectorStatus status_;
};

}  // namespace passerelle::smpp
