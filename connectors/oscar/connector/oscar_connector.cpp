#include "oscar/connector/oscar_connector.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <map>
#include <mutex>

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
        log_(spdlog::default_logger()->clone("oscar")) {
    for (const auto& a : section_.accounts) {
      if (a.network != "aim" && a.network != "icq") continue;
      auto s = std::make_shared<OscarSession>(strand_, static_cast<SessionOwner&>(*this), name_,
                                              section_, a, log_);
      sessions_.emplace(s->address().str(), std::move(s));
    }
    status_.state = LinkState::disabled;
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
    asio::post(strand_, [this] {
      if (started_) return;
      started_ = true;
      if (sessions_.empty()) log_->warn("no AIM or ICQ account linked");
      for (auto& [addr, s] : sessions_) s->start();
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
      for (auto& [addr, s] : sessions_) {
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
  static bool is_oscar(const Address& a) {
    return a.network == Network::aim || a.network == Network::icq;
  }

  OscarSession* session_for(const Address& from) {
    if (!is_oscar(from)) return nullptr;
    auto it = sessions_.find(from.str());
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
            return;  // OSCAR has no receipts to send back
          } else {
            OscarSession* s = session_for(e.from);
            if constexpr (std::is_same_v<T, OutboundMessage>) {
              if (stopping_) return fail(e, "AIM/ICQ connector is stopping", true);
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
    publish_status();
  }

  Clock::time_point login_slot() override {
    const auto now = Clock::now();
    next_login_ = std::max(next_login_, now);
    const auto slot = next_login_;
    next_login_ += std::chrono::milliseconds(std::max(0, section_.login_interval_ms));
    return slot;
  }

  void publish_status() {
    // Up when every account is; the detail names the accounts that are not, with why.
    LinkState agg = sessions_.empty() ? LinkState::disabled : LinkState::up;
    std::string detail;
    std::uint64_t reconnects = 0, queued = 0;
    for (auto& [addr, s] : sessions_) {
      reconnects += s->reconnects();
      queued += s->queued();
      if (s->state() == LinkState::up) continue;
      if (agg == LinkState::up || s->state() == LinkState::failed) agg = s->state();
      if (!detail.empty()) detail += "; ";
      detail += addr + ": " + std::string(link_state_name(s->state()));
      if (!s->reason().empty()) detail += " (" + s->reason() + ")";
    }
    std::lock_guard lock(status_mu_);
    status_.state = agg;
    status_.detail = detail;
    status_.reconnects = reconnects;
    status_.queue_depth = queued;
  }

  Strand strand_;
  const config::OscarSection& section_;
  EventSink& sink_;
  std::string name_ = "oscar";
  std::shared_ptr<spdlog::logger> log_;
  std::map<std::string, std::shared_ptr<OscarSession>> sessions_;
  Clock::time_point next_login_{};
  bool started_ = false;
  bool stopping_ = false;
  std::size_t stopped_ = 0;
  std::function<void()> stop_done_;
  mutable std::mutex status_mu_;
  ConnectorStatus status_;
};

}  // namespace

std::unique_ptr<Connector> make_oscar_connector(boost::asio::io_context& io,
                                                const config::Config& cfg, EventSink& sink) {
  return std::make_unique<OscarConnector>(io, cfg, sink);
}

}  // namespace passerelle::oscar
