#include "msn/connector/msn_connector.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <map>
#include <mutex>

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
        tls_(asio::ssl::context::tls_client) {
    tls_.set_default_verify_paths();
    tls_.set_verify_mode(asio::ssl::verify_peer);
    for (const auto& a : section_.accounts) {
      if (!a.network.empty() && a.network != "msn") continue;
      auto s = std::make_shared<NsSession>(strand_, static_cast<NsOwner&>(*this), name_, section_,
                                           a, log_);
      sessions_.emplace(s->email(), std::move(s));
    }
    status_.state = LinkState::disabled;
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
    asio::post(strand_, [this] {
      if (started_) return;
      started_ = true;
      if (sessions_.empty()) log_->warn("no MSN account linked");
      for (auto& [email, s] : sessions_) s->start();
      publish_status();
    });
  }

  void stop(std::function<void()> done) override {
    asio::post(strand_, [this, done = std::move(done)]() mutable {
      if (!started_ || stopping_ || sessions_.empty()) {
        stopping_ = true;
        if (done) done();
        return;
      }
      stopping_ = true;
      stop_done_ = std::move(done);
      for (auto& [email, s] : sessions_) {
        s->stop([this] {
          if (++stopped_ == sessions_.size()) {
            log_->info("stopped");
            if (stop_done_) std::exchange(stop_done_, nullptr)();
          }
        });
      }
    });
  }

  void send(OutboundEvent event) override {
    asio::post(strand_, [this, ev = std::move(event)]() mutable { dispatch(std::move(ev)); });
  }

  ConnectorStatus status() const override {
    std::lock_guard lock(status_mu_);
    return status_;
  }

 private:
  NsSession* session_for(const Address& from) {
    if (from.network != Network::msn) return nullptr;
    auto it = sessions_.find(from.id);
    return it == sessions_.end() ? nullptr : it->second.get();
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
              if (stopping_) return fail(e, "MSN connector is stopping", true);
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
    AccountStateEvent ev{name_, s.address().str(), s.state(), s.reason()};
    sink_.publish(std::move(ev));
    publish_status();
  }

  Clock::time_point login_slot() override {
    const auto now = Clock::now();
    next_login_ = std::max(next_login_, now);
    const auto slot = next_login_;
    next_login_ += std::chrono::milliseconds(std::max(0, section_.login_interval_ms));
    return slot;
  }

  asio::ssl::context& tls() override { return tls_; }

  void publish_status() {
    // Up when every account is; the detail names the accounts that are not, with why.
    LinkState agg = sessions_.empty() ? LinkState::disabled : LinkState::up;
    std::string detail;
    std::uint64_t reconnects = 0, queued = 0;
    for (auto& [email, s] : sessions_) {
      reconnects += s->reconnects();
      queued += s->queued();
      if (s->state() == LinkState::up) continue;
      if (agg == LinkState::up || s->state() == LinkState::failed) agg = s->state();
      if (!detail.empty()) detail += "; ";
      detail += email + ": " + std::string(link_state_name(s->state()));
      if (!s->reason().empty()) detail += " (" + s->reason() + ")";
    }
    std::lock_guard lock(status_mu_);
    status_.state = agg;
    status_.detail = detail;
    status_.reconnects = reconnects;
    status_.queue_depth = queued;
  }

  Strand strand_;
  const config::MsnSection& section_;
  EventSink& sink_;
  std::string name_ = "msn";
  std::shared_ptr<spdlog::logger> log_;
  asio::ssl::context tls_;
  std::map<std::string, std::shared_ptr<NsSession>> sessions_;
  Clock::time_point next_login_{};
  bool started_ = false;
  bool stopping_ = false;
  std::size_t stopped_ = 0;
  std::function<void()> stop_done_;
  mutable std::mutex status_mu_;
  ConnectorStatus status_;
};

}  // namespace

std::unique_ptr<Connector> make_msn_connector(boost::asio::io_context& io,
                                              const config::Config& cfg, EventSink& sink) {
  return std::make_unique<MsnConnector>(io, cfg, sink);
}

}  // namespace passerelle::msn
