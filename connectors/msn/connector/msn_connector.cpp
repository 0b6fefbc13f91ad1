#include "msn/connector/msn_connector.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <stdexcept>

#include "common/account_set.hpp"
#include "msn/convert/convert.hpp"
#include "msn/session/ns_session.hpp"

namespace passerelle::msn {

namespace {

class MsnConnector final : public Connector, private NsOwner {
 public:
  MsnConnector(asio::io_context& io, const config::Config& cfg, EventSink& sink)
      : strand_(asio::make_strand(io)),
        section_(cfg.msn),
        sink_(sink),
        log_(spdlog::default_logger()->clone("msn")),
        tls_(asio::ssl::context::tls_client),
        accounts_("MSN", log_, section_.login_interval_ms) {
    tls_.set_default_verify_paths();
    tls_.set_verify_mode(asio::ssl::verify_peer);
    if (!section_.login_ca_file.empty()) {
      // The configuration checked that it is a readable PEM file; one OpenSSL still cannot
      // use stops the daemon (run_daemon), naming the file.
      boost::system::error_code ec;
      tls_.load_verify_file(section_.login_ca_file, ec);
      if (ec)
        throw std::runtime_error("msn.login_ca_file " + section_.login_ca_file +
                                 ": cannot load CA certificates: " + ec.message());
    }
    for (const auto& a : section_.accounts)
      if (a.network.empty() || a.network == "msn") accounts_.add(make_session(a));
  }

  const std::string& name() const override { return name_; }
  Network network() const override { return Network::msn; }

  Capabilities capabilities() const override {
    Capabilities c;
    c.typing = true;
    c.receipts = true;  // ACK from the contact's client: DeliveryReport delivered
    c.max_text_bytes = max_message_bytes();
    return c;
  }

  void start() override {
    asio::post(strand_, [this] { accounts_.start(); });
  }

  void stop(std::function<void()> done) override {
    asio::post(strand_,
               [this, done = std::move(done)]() mutable { accounts_.stop(std::move(done)); });
  }

  passerelle::Status link_account(AccountLink link) override {
    auto a = linked_account(std::move(link), {Network::msn}, "MSN");
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
  std::shared_ptr<NsSession> make_session(const config::LegacyAccount& a) {
    return std::make_shared<NsSession>(strand_, static_cast<NsOwner&>(*this), name_, section_, a,
                                       log_);
  }

  NsSession* session_for(const Address& from) {
    return from.network == Network::msn ? accounts_.find(from) : nullptr;
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
            return;  // MSN has no read or delivery receipts to send
          } else {
            NsSession* s = session_for(e.from);
            if constexpr (std::is_same_v<T, OutboundMessage>) {
              if (accounts_.stopping()) return fail(e, "MSN connector is stopping", true);
              if (!s) return fail(e, e.from.str() + " is not a linked MSN account", false);
              if (e.to.network != Network::msn)
                return fail(e, e.to.str() + " is not an MSN address", false);
              s->send_message(std::move(e));
            } else if constexpr (std::is_same_v<T, OutboundError>) {
              if (s && e.to.network == Network::msn)
                s->send_text_unreported(e.to.id, error_text(e.error.message));
            } else if constexpr (std::is_same_v<T, OutboundChatState>) {
              if (s && e.to.network == Network::msn)
                s->send_typing(e.to.id, e.state == ChatState::composing);
            } else if constexpr (std::is_same_v<T, OutboundPresence>) {
              if (s) s->set_presence(e.presence);
            } else if constexpr (std::is_same_v<T, OutboundSubscription>) {
              if (s && e.to.network == Network::msn) s->subscription(e.to.id, e.action);
            }
          }
        },
        ev);
  }

  // NsOwner, on the strand.
  void publish(InboundEvent e) override { sink_.publish(std::move(e)); }

  void on_account_state(NsSession& s) override {
    sink_.publish(AccountStateEvent{name_, s.address().str(), s.state(), s.reason()});
    accounts_.publish_status();
  }

  Clock::time_point login_slot() override { return accounts_.login_slot(); }

  asio::ssl::context& tls() override { return tls_; }

  Strand strand_;
  const config::MsnSection& section_;
  EventSink& sink_;
  std::string name_ = "msn";
  std::shared_ptr<spdlog::logger> log_;
  asio::ssl::context tls_;
  AccountSet<NsSession> accounts_;
};

}  // namespace

std::unique_ptr<Connector> make_msn_connector(boost::asio::io_context& io,
                                              const config::Config& cfg, EventSink& sink) {
  return std::make_unique<MsnConnector>(io, cfg, sink);
}

}  // namespace passerelle::msn
