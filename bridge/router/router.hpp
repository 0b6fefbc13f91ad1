#pragma once
// The router (DESIGN.md §3): for every inbound event, who it is for and how to reach
// them. It owns the in-memory routing state (directory, SMS plan, conversations) and the
// outbox, and runs on the core strand: `handle` is posted there by the bus. Every
// accepted message is committed to the store, with its deliveries, before the network
// that brought it is answered.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "bus/events.hpp"
#include "config/config.hpp"
#include "connector/registry.hpp"
#include "core/metrics.hpp"
#include "delivery/outbox.hpp"
#include "phone/phone.hpp"
#include "router/directory.hpp"
#include "router/rcs_plan.hpp"
#include "router/sms_plan.hpp"
#include "store/store.hpp"

namespace passerelle {

// How many SMS segments a text needs (the SMS codec's segmenter), or -1 when it cannot be
// sent as SMS (invalid UTF-8, more than 255 segments). Injected so that the core does not
// depend on a connector.
using SegmentCounter = std::function<int(std::string_view utf8)>;

class Router {
 public:
  Router(boost::asio::any_io_executor strand, const config::Config& cfg, store::Store& store,
         const ConnectorRegistry& connectors, Metrics& metrics, SegmentCounter count_segments);

  // Start-up, before the strand runs: loads people, threads, opt-outs, spend and the
  // outbox, and writes the configured people to the store. Blocking.
  Status load();

  void handle(InboundEvent event);

  // Shutdown: stop sending, wait for in-flight deliveries (bounded), then `done`.
  void drain(std::int64_t timeout_ms, std::function<void()> done) {
    outbox_.drain(timeout_ms, std::move(done));
  }

  const Outbox& outbox() const { return outbox_; }
  const Directory& directory() const { return directory_; }

 private:
  struct NewMessage {
    Address from, to;  // as the message travels on the network
    std::string body;  // as delivered (prefix included)
    // Files as links. Kept as such to XMPP (XEP-0066) and RCS (sent as files); told in
    // the body to networks of text only (fold_attachments).
    std::vector<Attachment> attachments;
    std::string origin_connector, origin_id;
    Address notify, notify_from;  // who hears of failure / receipt, and as whom
    std::string notify_origin;
    bool request_receipt = false;
    std::string connector;  // where it goes out
    std::string payer;      // charged for SMS segments; empty: not SMS
    SmsRoute route;
    int segments = 0;
    MessageKind kind = MessageKind::chat;
    Address conv_local, conv_remote;
    std::optional<store::ThreadRow> thread;
  };

  static void fold_attachments(NewMessage& nm);
  Address choose_bot(const RcsRoute& route, const std::string& phone, const Address& puppet,
                     const Address& user) const;
  // Conversations between two phones (phone_to_phone.cpp).
  static bool is_phone(const Address& a);
  Result<Address> as_phone_puppet(const Address& a);
  bool may_start_with_phone(const InboundMessage& m, const Address& target) const;
  void start_phone_conversation(InboundMessage& m, const Address& target, const std::string& text,
                                std::chrono::steady_clock::time_point t0);
  void to_phone(InboundMessage& m, const Address& target, const std::string& text,
                std::chrono::steady_clock::time_point t0);
  void keep_thread(const std::string& sender, const std::string& phone, const std::string& local,
                   const std::string& remote, const std::string& conversation_id);
  void on_message(InboundMessage& m);
  void on_gateway_message(InboundMessage& m);
  void on_account_message(InboundMessage& m);
  void on_account_sms(InboundMessage& m, const Person& p, std::chrono::steady_clock::time_point t0);
  // Linked AIM, ICQ and MSN accounts (linked.cpp).
  void load_linked_accounts();
  void on_puppet_message(InboundMessage& m);
  void on_linked_message(InboundMessage& m, const Person& p);
  void deliver_home(InboundMessage& m, const Address& home, bool report_failure = true);
  void on_chat_state(const InboundChatState& c);
  void on_linked_presence(const InboundPresence& p);
  void on_subscription(const InboundSubscription& s);
  void on_account_state(const AccountStateEvent& a);
  void replay_presence(const Person& p, const Address& home);
  std::optional<std::string> rescue(const store::DeliveryRow& d, const DeliveryReport& r);
  // A phone writes to a sender number (SMS) or to the bridge's chatbot (RCS).
  void on_phone_message(InboundMessage& m);
  // RCS (rcs.cpp).
  void on_rcs_gateway_message(InboundMessage& m, std::chrono::steady_clock::time_point t0);
  // From m.from to a phone: by RCS through the platform serving the number where there is
  // one (SMS if that fails: rescue_rcs), else by SMS. Receipts, errors and the phone's
  // answers reach m.from from `reply_as` (the phone's puppet, or a gateway account).
  void send_to_phone(InboundMessage& m, const std::string& e164, std::string body,
                     const Address& reply_as, std::chrono::steady_clock::time_point t0);
  // A contact writes to a gateway account (account_gateway.cpp).
  void on_account_gateway_message(InboundMessage& m);
  void refuse_at_gateway(InboundMessage& m, const std::string& why);
  void on_gateway_chat_state(const InboundChatState& c);
  std::optional<std::string> rescue_rcs(const store::DeliveryRow& d, const DeliveryReport& r);
  void on_rcs_acked(const store::DeliveryRow& d);
  void on_rcs_chat_state(const InboundChatState& c);
  // "[XMPP] alice@example.org: text" (sms.prefix_sender), as phones get it.
  std::string prefixed(const Address& from, const std::string& body) const;
  // Reads rcs.portability_file when it changed since the last read (checked every few
  // seconds); a table with errors is refused and the previous one kept.
  void reload_portability(bool at_start);
  void schedule_portability_check();
  void on_presence(const InboundPresence& p);
  // Registration from the person's client (registration.cpp).
  void on_registration(Registration& r);
  void on_phone_registration(Registration& r);
  void on_account_registration(Registration& r);
  Person person_for_registration(const Address& user) const;
  Status link_registered(const Address& account, const std::string& person, std::string password,
                         Connector& connector);
  void unlink_registered(const Address& account, Connector& connector, bool announce = true);
  void load_registered_accounts(std::vector<store::LinkedAccountRow> rows);
  // A registration is answered once its account signed on (ok) or was refused (the
  // network's reason; the account is unlinked again), or after kLinkVerifyMs (ok: it
  // keeps trying, its state shows as the gateway's presence).
  struct PendingLink {
    AckFn ack;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  void await_sign_on(const Address& account, AckFn ack);
  void settle_registration(const AccountStateEvent& a, const Address& account);
  std::map<Address, PendingLink> pending_links_;
  static constexpr int kLinkVerifyMs = 10000;

  // Validates and prices an SMS to `phone`; fills route/segments/payer of `nm`.
  Status plan_sms(NewMessage& nm, const std::string& payer);
  // Commits the message with its delivery, then acks and hands the delivery out.
  void commit(NewMessage nm, AckFn ack, std::chrono::steady_clock::time_point t0);
  // A short text from the bridge itself to a phone (help, STOP confirmation), from a
  // sender number (sms:) or the chatbot the phone wrote to (rcs:).
  void send_notice(const Address& sender, const std::string& phone, const std::string& text);
  // The phone's answers on `sender` (number or chatbot id) now thread to d's conversation.
  void record_thread(const std::string& sender, const std::string& phone,
                     const store::DeliveryRow& d);
  // Tells `to` about a delivery's outcome through the connector that speaks as `from`.
  void notify(OutboundEvent ev, const Address& from, const Address& to);
  std::string connector_for(const Address& from, const Address& to) const;
  // The SMSC for a number: the one the portability table names, else by prefix.
  Result<SmsRoute> sms_route(const std::string& e164) const;
  Result<PhoneNumber> parse_phone_for_sms(const std::string& text);

  void on_acked(const store::DeliveryRow& d);
  void on_delivered(const store::DeliveryRow& d);
  void on_failed(const store::DeliveryRow& d);
  void on_refunded(const store::DeliveryRow& d);
  void on_unknown(const store::DeliveryRow& d);
  std::optional<std::string> refuse(const store::DeliveryRow& d) const;
  bool may_send_help(const std::string& phone);

  boost::asio::any_io_executor strand_;
  const config::Config& cfg_;
  store::Store& store_;
  const ConnectorRegistry& connectors_;
  Metrics& metrics_;
  SegmentCounter count_segments_;
  PhoneNumbers phones_;
  Directory directory_;
  SmsPlan sms_;
  RcsPlan rcs_;
  std::int64_t portability_mtime_ = -1;  // of the table in use; -1: none read
  std::unique_ptr<boost::asio::steady_timer> portability_timer_;
  store::WriteBehind writes_;  // state changes that need not commit one by one
  Outbox outbox_;
  struct Conversation {
    std::string id;
    bool stored = false;  // its row is committed: later messages need not write it
  };
  std::unordered_map<std::string, Conversation> conversations_;  // local '\n' remote
  Conversation& conversation(const Address& local, const Address& remote);
  // Numbers as typed -> parsed (libphonenumber is costly; the same recipients recur).
  // Cleared when full rather than evicted one by one: it refills from the traffic.
  std::unordered_map<std::string, PhoneNumber> phone_cache_;
  static constexpr std::size_t kPhoneCacheMax = 65536;
  Counter* messages_in_[std::size(kAllNetworks)] = {};
  // Help texts: at most one per phone per hour, so that an auto-responder on the other
  // side cannot start an endless (paid) exchange.
  std::unordered_map<std::string, std::int64_t> last_help_ms_;
  // Recently seen (connector, sender, origin id): a network that sends the same message
  // again within the window (a retransmission) gets it acknowledged, not delivered twice.
  bool seen_recently(const InboundMessage& m);
  void remember_origin(std::string key, std::int64_t ms);
  void forget_origin(const std::string& key) { recent_origins_.erase(key); }
  std::unordered_map<std::string, std::int64_t> recent_origins_;
  std::deque<std::pair<std::int64_t, std::string>> recent_order_;
  static constexpr std::int64_t kDedupeWindowMs = 3600 * 1000;
  static constexpr std::size_t kDedupeMax = 200000;
  std::set<Address> sms_to_offline_;       // MSN accounts whose offline contacts get SMS
  std::set<Address> configured_accounts_;  // linked in the configuration, not by registration
  // Last known presence of each linked account's online contacts, and of the accounts
  // themselves (their state as the gateway's presence): replayed to a client coming online.
  std::map<Address, std::map<Address, Presence>> contact_presence_;
  std::map<Address, Presence> account_presence_;
  Histogram& routing_seconds_;
  Counter& refused_;
  Counter* duplicates_[std::size(kAllNetworks)] = {};
  struct SmscCounters {
    Counter* segments = nullptr;
    Counter* spend = nullptr;
  };
  SmscCounters& smsc_counters(const std::string& smsc);
  std::unordered_map<std::string, SmscCounters> smsc_counters_;
};

}  // namespace passerelle
