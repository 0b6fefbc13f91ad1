#include "oscar/connector/oscar_connector.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "common/account_set.hpp"
#include "oscar/session/session.hpp"

namespace passerelle::oscar {

namespace {

// An ICBM carries at most the server's max_snac_size (8000 on the test server, 2544 on
// AOL's): a text of 2,000 bytes fits every server once encoded (UCS-2 doubles ASCII).
constexpr std::size_t kMaxTextBytes = 2000;

class OscarConnector final : public Connector, private SessionOwner {
 public:
  OscarConnector(asio::io_context& io, const config::Config& cfg, EventSink& sink)
      : strand_(asio::make_strand(io)),
        section_(cfg.oscar),
        sink_(sink),
        log_(spdlog::default_logger()->clone("oscar")),
        accounts_("AIM or ICQ", log_, section_.login_interval_ms) {
    for (const auto& a : section_.accounts)
      if (a.network == "aim" || a.network == "icq") accounts_.add(make_session(a));
  }

  const std::string& name() const override { return name_; }
  Network network() const override { return Network::aim; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.typing = true;
    c.receipts = true;  // host ack → DeliveryReport delivered
    c.max_text_bytes = kMaxTextBytes;
    return c;
  }

  void start() override {
    asio::post(strand_, [this] { accounts_.start(); });
  }

  void stop(std::function<void()> done) override {
    asio::post(strand_,
               [this, done = std::move(done)]() mutable { accounts_.stop(std::move(done)); });
  }

  Status link_account(AccountLink link) override {
    auto a = linked_account(std::move(link), {Network::aim, Network::icq}, "AIM or ICQ");
    if (!a.ok()) return a.error();
    asio::post(strand_, [this, a = std::move(*a)] { accounts_.add(make_session(a)); });
    return {};
  }

  void unlink_account(const Address& account) override {
    asio::post(strand_, [this, account] { accounts_.remove(account); });
  }

  void send(OutboundEvent event) override {
    asio::post(strand_, [this, ev = std::move(event)]() mutable { dispatch(std::move(ev)); });
  }

  ConnectorStatus status() const override { return accounts_.status(); }

 private:
  static bool is_oscar(Network n) { return n == Network::aim || n == Network::icq; }
  static bool is_oscar(const Address& a) { return is_oscar(a.network); }

  std::shared_ptr<OscarSession> make_session(const config::LegacyAccount& a) {
    return std::make_shared<OscarSession>(strand_, static_cast<SessionOwner&>(*this), name_,
                                          section_, a, log_);
  }

  OscarSession* session_for(const Address& from) {
    return is_oscar(from) ? accounts_.find(from) : nullptr;
  }

  void fail(const OutboundMessage& m, std::string reason, bool retryable) {
    DeliveryReport r;
    r.connector = name_;
    r.delivery_id = m.delivery_id;
    r.state = DeliveryState::failed;
    r.reason = std::move(reason);
    r.retryable = retryable;
    sink_.publish(std::move(r));
  }

  void dispatch(OutboundEvent ev) {
    std::visit(
        [&](auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, OutboundReceipt>) {
            return;  // OSCAR has no receipts to send back
          } else {
            OscarSession* s = session_for(e.from);
            if constexpr (std::is_same_v<T, OutboundMessage>) {
              if (accounts_.stopping()) return fail(e, "AIM/ICQ connector is stopping", true);
              if (!s) return fail(e, e.from.str() + " is not a linked AIM or ICQ account", false);
              if (!is_oscar(e.to))
                return fail(e, e.to.str() + " is not an AIM or ICQ address", false);
              if (e.body.size() > kMaxTextBytes)
                return fail(e,
                            "message too long for AIM/ICQ (" + std::to_string(e.body.size()) +
                                " bytes, at most " + std::to_string(kMaxTextBytes) + ")",
                            false);
              s->send_message(std::move(e));
            } else if constexpr (std::is_same_v<T, OutboundError>) {
              if (s && is_oscar(e.to))
                s->send_text_unreported(e.to.id, "[passerelle] " + e.error.message);
            } else if constexpr (std::is_same_v<T, OutboundChatState>) {
              if (s && is_oscar(e.to)) s->send_typing(e.to.id, e.state);
            } else if constexpr (std::is_same_v<T, OutboundPresence>) {
              if (s && e.to == e.from) s->set_presence(e.presence);
            } else if constexpr (std::is_same_v<T, OutboundSubscription>) {
              if (s && is_oscar(e.to)) s->subscription(e.to.id, e.action);
            }
          }
        },
        ev);
  }

  // SessionOwner, on the strand.
  void publish(InboundEvent e) override { sink_.publish(std::move(e)); }

  void on_account_state(OscarSession& s) override {
    sink_.publish(AccountStateEvent{name_, s.address().str(), s.state(), s.reason()});
    accounts_.publish_status();
  }

  Clock::time_point login_slot() override { return accounts_.login_slot(); }

  Strand strand_;
  const config::OscarSection& section_;
  EventSink& sink_;
  std::string name_ = "oscar";
  std::shared_ptr<spdlog::logger> log_;
  AccountSet<OscarSession> accounts_;
};

}  // namespace

std::unique_ptr<Connector> make_oscar_connector(boost::asio::io_context& io,
                                                const config::Config& cfg, EventSink& sink) {
  return std::make_unique<OscarConnector>(io, cfg, sink);
}

}  // namespace passerelle::oscar
