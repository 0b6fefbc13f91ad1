#pragma once
// One linked AIM or ICQ account (DESIGN.md §6 oscar): login at the authorizer (BUCP MD5,
// family 0x0017, or the old FLAP channel-1 roasted password), redirect to the BOS server
// with the cookie, the sign-on sequence, then the signed-on session: messages, typing,
// buddies and their away messages, our own status, the server-stored buddy list, ICQ
// offline messages and authorizations. Every SNAC we send goes through a queue per rate
// class (RateLimiter) so that the server never warns us; keep-alives on channel 5.
//
// Ends of a connection and what follows:
//   wrong password, closed account     failed, no retry until registered again or a restart
//                                      (connectors/common/retry.hpp; retrying only gets
//                                      the account locked);
//   signed on from another location    failed, retried after reconnect_max_ms (the person
//                                      wants their other client; we do not fight it);
//   anything else (server gone, rate)  backing_off, retried with capped backoff + jitter.
//
// Threads: everything runs on the connector's strand; the owner calls in from there.
// Lifetime: shared by its coroutines; stop() ends them, then calls `done`.

#include <spdlog/logger.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "bus/events.hpp"
#include "config/config.hpp"
#include "oscar/codec/feedbag.hpp"
#include "oscar/codec/icbm.hpp"
#include "oscar/codec/login.hpp"
#include "oscar/codec/oservice.hpp"
#include "oscar/session/flap_conn.hpp"
#include "oscar/session/rate_limiter.hpp"

namespace passerelle::oscar {

class OscarSession;

class SessionOwner {
 public:
  virtual ~SessionOwner() = default;
  virtual void publish(InboundEvent e) = 0;
  virtual void on_account_state(OscarSession& s) = 0;
  // When this account may start a login (login_interval_ms pacing across accounts).
  virtual Clock::time_point login_slot() = 0;
};

enum class EndKind { transient, wrong_password, account, other_location, stopped };
struct End {
  EndKind kind = EndKind::transient;
  std::string reason;
};

class OscarSession : public std::enable_shared_from_this<OscarSession> {
 public:
  // A message written without a host ack or an error after this long is reported unknown.
  static constexpr auto kDeliveryTimeout = std::chrono::seconds(60);
  // Messages waiting per account (rate queues included); past this, refused (retryable).
  static constexpr std::size_t kMaxQueued = 512;
  static constexpr auto kKeepAlive = std::chrono::seconds(60);
  // Bytes written to the socket and not taken by the server for this long: stalled.
  static constexpr auto kStall = std::chrono::seconds(60);

  OscarSession(const Strand& strand, SessionOwner& owner, std::string connector,
               const config::OscarSection& section, const config::LegacyAccount& account,
               std::shared_ptr<spdlog::logger> log);
  ~OscarSession();

  void start();
  void stop(std::function<void()> done);

  // From the connector, on the strand.
  void send_message(OutboundMessage m);
  void send_text_unreported(const std::string& contact, const std::string& text);
  void send_typing(const std::string& contact, ChatState s);
  void set_presence(const Presence& p);
  void subscription(const std::string& contact, SubscriptionAction a);

  const Address& address() const { return self_; }
  bool icq() const { return icq_; }
  LinkState state() const { return state_; }
  const std::string& reason() const { return reason_; }
  std::uint64_t reconnects() const { return reconnects_; }
  std::size_t queued() const { return queued_snacs_ + deliveries_.size(); }

 private:
  struct Delivery {
    std::string delivery_id;  // empty: a bridge notice, not reported
    IcbmCookie cookie{};
    std::uint32_t request_id = 0;
    bool written = false;
    Clock::time_point deadline;
  };
  struct PendingSnac {
    SnacHeader header;
    Bytes body;
    std::uint64_t cookie = 0;  // the Delivery it carries, 0 for none
  };
  struct Buddy {
    UserInfo info;
    bool online = false;
    std::optional<std::string> away_text;
  };

  asio::awaitable<void> run();
  asio::awaitable<End> connect_once();
  asio::awaitable<Result<AuthReply>> authorize(const std::string& host, int port);
  asio::awaitable<Result<AuthReply>> md5_login(const std::shared_ptr<FlapConn>& c);
  asio::awaitable<Result<AuthReply>> roast_login(const std::shared_ptr<FlapConn>& c);
  asio::awaitable<void> keepalive_loop(std::shared_ptr<FlapConn> c);
  void set_state(LinkState s, std::string reason);
  void went_offline(const std::string& reason);

  // Signed-on session (session_bos.cpp).
  void on_snac(const SnacView& s);
  void on_oservice(const SnacView& s);
  void on_icbm(const SnacView& s);
  void on_buddy(const SnacView& s);
  void on_locate(const SnacView& s);
  void on_feedbag(const SnacView& s);
  void on_icq(const SnacView& s);
  void on_snac_error(const SnacView& s);
  void after_rates();
  void signed_on();
  void incoming_im(const IncomingIm& im);
  void buddy_arrived(const UserInfo& u);
  void publish_buddy(const std::string& norm);
  void apply_own_status();
  void add_buddy(const std::string& sn);
  void remove_buddy(const std::string& sn);
  void offline_message_committed(bool ok, std::uint64_t generation);
  void maybe_delete_offline();

  // Every SNAC goes out through here: queued per rate class, written when the class allows.
  std::uint32_t send(std::uint16_t family, std::uint16_t subtype, Bytes body,
                     std::uint64_t cookie = 0);
  void pump();
  std::uint64_t now_ms() const;
  void report(Delivery& d, DeliveryState st, std::string reason = {}, bool retryable = false,
              bool offline = false, int status = 0);
  void fail_all(const std::string& reason);
  void expire_deliveries();

  Strand strand_;
  SessionOwner& owner_;
  std::string connector_;
  const config::OscarSection& section_;
  config::LegacyAccount account_;
  std::shared_ptr<spdlog::logger> log_;
  std::string login_;  // canonical screen name or UIN
  bool icq_ = false;
  Address self_;
  std::shared_ptr<FlapConn> conn_;
  std::optional<End> end_;
  bool online_ = false;
  bool stopping_ = false;
  LinkState state_ = LinkState::disabled;
  std::string reason_;
  std::uint64_t reconnects_ = 0;
  std::uint32_t next_request_ = 1;
  std::uint16_t icq_seq_ = 1;
  Clock::time_point epoch_ = Clock::now();

  RateLimiter rates_;
  std::map<std::uint16_t, std::deque<PendingSnac>> queues_;  // by rate class
  std::size_t queued_snacs_ = 0;
  asio::steady_timer pump_timer_;
  bool pump_armed_ = false;
  asio::steady_timer wait_timer_;  // backoff, pacing
  asio::steady_timer tick_timer_;  // keep-alives, delivery timeouts

  std::vector<std::uint16_t> families_;                // from OSERVICE 0x0003
  std::map<std::uint64_t, Delivery> deliveries_;       // by cookie
  std::map<std::uint32_t, std::uint64_t> by_request_;  // ICBM request id → cookie
  std::map<std::string, Buddy> buddies_;               // by normalized screen name
  std::map<std::uint32_t, std::string> locate_requests_;
  std::vector<FeedbagItem> feedbag_;
  bool feedbag_done_ = false;
  std::map<std::uint32_t, std::vector<FeedbagItem>> feedbag_ops_;  // request id → items
  std::optional<Presence> own_;
  std::uint64_t generation_ = 0;      // connections so far; stale acks are ignored
  std::size_t offline_pending_ = 0;   // ICQ offline messages not yet committed
  std::size_t offline_received_ = 0;  // fetched this connection, not yet deleted
  bool offline_done_ = false;
  bool offline_failed_ = false;
  std::optional<Clock::time_point> stuck_since_;
  std::function<void()> stopped_;
};

}  // namespace passerelle::oscar
