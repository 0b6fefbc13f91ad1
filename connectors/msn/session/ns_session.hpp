#pragma once
// One linked MSN account: its notification-server connection (login, contact list,
// presence, keep-alive, reconnect) and its switchboards (chats). NsMachine does the
// protocol; this class does the sockets, the timers and the delivery bookkeeping, and
// turns what happens into bus events for the connector.
//
// Threads: everything runs on the connector's strand; the owner calls in from there.
// Lifetime: shared by its coroutines; stop() ends them, then calls `done`.

#include <spdlog/logger.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "bus/events.hpp"
#include "config/config.hpp"
#include "msn/session/conn.hpp"
#include "msn/session/ns_machine.hpp"
#include "msn/session/switchboard.hpp"

namespace passerelle::msn {

class NsSession;

class NsOwner {
 public:
  virtual ~NsOwner() = default;
  virtual void publish(InboundEvent e) = 0;
  virtual void on_account_state(NsSession& s) = 0;
  // When this account may start a login (login_interval_ms pacing across accounts).
  virtual Clock::time_point login_slot() = 0;
  virtual asio::ssl::context& tls() = 0;
};

class NsSession : public std::enable_shared_from_this<NsSession>, private SwitchboardOwner {
 public:
  // An outbound text without an ACK after this long is reported `unknown`; one still
  // waiting for a switchboard is reported failed (retryable).
  static constexpr auto kDeliveryTimeout = std::chrono::seconds(60);
  // MSN has no "stopped typing": composing turns into paused after this long.
  static constexpr auto kTypingPause = std::chrono::seconds(6);
  static constexpr auto kTypingRepeat = std::chrono::seconds(4);
  static constexpr auto kTypingRepeatFor = std::chrono::seconds(30);
  // Texts waiting per account; past this, new ones are refused (retryable).
  static constexpr std::size_t kMaxQueued = 256;

  NsSession(const Strand& strand, NsOwner& owner, std::string connector,
            const config::MsnSection& section, const config::LegacyAccount& account,
            std::shared_ptr<spdlog::logger> log);
  ~NsSession() override;

  void start();
  void stop(std::function<void()> done);

  // From the connector, on the strand.
  void send_message(OutboundMessage m);
  void send_text_unreported(const std::string& contact, const std::string& text);
  // composing: a typing notice now and every kTypingRepeat while it lasts (MSN clients
  // forget a notice after a few seconds); anything else stops the repeats.
  void send_typing(const std::string& contact, bool composing);
  void set_presence(const Presence& p);
  void subscription(const std::string& contact, SubscriptionAction a);

  const std::string& email() const { return email_; }
  const Address& address() const { return self_; }
  LinkState state() const { return state_; }
  const std::string& reason() const { return reason_; }
  std::uint64_t reconnects() const { return reconnects_; }
  std::size_t queued() const;

 private:
  struct OutDelivery {
    OutboundMessage msg;
    std::vector<std::string> parts;
    std::size_t written = 0;
    std::size_t acked = 0;
    bool done = false;
    bool report = true;  // false for bridge notices (OutboundError text)
    Clock::time_point deadline;
  };
  struct Chat {
    std::deque<std::shared_ptr<OutDelivery>> queue;  // parts still to write
    std::shared_ptr<Switchboard> sb;                 // the current one
    std::uint32_t xfr_trid = 0;                      // XFR SB asked for, not answered yet
    int failed_opens = 0;
    bool typing_pending = false;
    bool composing = false;  // inbound typing shown as composing
    Clock::time_point last_typing;
    Clock::time_point typing_sent;          // our last notice
    Clock::time_point typing_repeat_until;  // the person is composing until then
  };
  struct Inflight {
    std::shared_ptr<OutDelivery> d;
    Clock::time_point deadline;
  };

  asio::awaitable<void> run();
  // One connection, from connect to its end; `redirect` set on XFR NS.
  asio::awaitable<effect::End> connect_once(std::string host, int port,
                                            std::optional<effect::Redirect>& redirect);
  asio::awaitable<void> ticket(std::shared_ptr<MsnpConn> conn, std::string challenge);
  asio::awaitable<void> tick_loop();
  void apply(const std::shared_ptr<MsnpConn>& conn);
  void set_state(LinkState s, std::string reason);
  void went_offline(const std::string& reason);

  void pump(const std::string& contact);
  void publish_presence(const std::string& contact);
  void report(const std::shared_ptr<OutDelivery>& d, DeliveryState s, std::string reason,
              bool retryable = false, bool offline = false, int status = 0);
  void fail_queue(Chat& c, const std::string& reason, bool retryable, bool offline, int status = 0);
  void tick();

  SwitchboardOwner& sb_owner();
  // SwitchboardOwner
  void on_sb_joined(Switchboard& sb) override;
  void on_sb_message(Switchboard& sb, const std::string& from, MimeMessage m) override;
  void on_sb_ack(Switchboard& sb, std::uint32_t trid, bool ok) override;
  void on_sb_closed(Switchboard& sb, SbEnd end, const std::string& reason) override;

  Strand strand_;
  NsOwner& owner_;
  std::string connector_;
  const config::MsnSection& section_;
  config::LegacyAccount account_;
  std::shared_ptr<spdlog::logger> log_;
  std::string email_;
  Address self_;
  NsMachine machine_;
  std::shared_ptr<MsnpConn> conn_;
  std::optional<effect::End> end_;
  std::optional<effect::Redirect> redirect_;
  bool online_ = false;
  bool stopping_ = false;
  LinkState state_ = LinkState::disabled;
  std::string reason_;
  std::uint64_t reconnects_ = 0;
  std::uint64_t next_origin_ = 0;
  Clock::time_point next_ping_ = Clock::time_point::max();
  Clock::time_point qng_due_ = Clock::time_point::max();
  asio::steady_timer wait_timer_;  // backoff, pacing
  asio::steady_timer tick_timer_;
  std::map<std::string, Chat> chats_;
  std::map<std::uint32_t, std::string> xfr_;  // XFR SB trid → contact
  std::set<std::shared_ptr<Switchboard>> sbs_;
  std::map<std::pair<const Switchboard*, std::uint32_t>, Inflight> inflight_;
  std::function<void()> stopped_;
};

}  // namespace passerelle::msn
