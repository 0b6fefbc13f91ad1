#include "rcs/connector/rcs_hub.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/strand.hpp>

#include "rcs/connector/rcs_connector.hpp"
#include "rcs/webhook/webhook_server.hpp"

namespace passerelle::rcs {

RcsHub::RcsHub(boost::asio::io_context& io, const config::RcsSection& section, Metrics* metrics) {
  WebhookOptions opts;
  opts.listen = section.webhook_listen;
  opts.tls_cert_file = section.webhook_tls_cert_file;
  opts.tls_key_file = section.webhook_tls_key_file;
  opts.max_body = static_cast<std::size_t>(section.webhook_max_body);
  opts.limits.max_body = opts.max_body;
  std::vector<WebhookRoute> routes;
  // One path per chatbot: the platform's events do not name the bot they are for. A pool
  // bot's route is labelled "<platform>/<bot>" (platform names have no '/').
  for (const auto& p : section.platforms) {
    routes.push_back({p.webhook_path, p.name, p.webhook_token});
    for (const auto& bot : p.pool_bots)
      routes.push_back({p.pool_webhook_path(bot), p.name + "/" + bot, p.webhook_token});
  }
  server_ = std::make_unique<WebhookServer>(
      boost::asio::make_strand(io), std::move(opts), std::move(routes),
      [this](const std::string& route, Event event, std::function<void(Status)> done) {
        const auto slash = route.find('/');
        const std::string platform = route.substr(0, slash);
        std::string bot = slash == std::string::npos ? std::string() : route.substr(slash + 1);
        RcsConnector* c = nullptr;
        {
          std::lock_guard lock(mutex_);
          if (auto it = connectors_.find(platform); it != connectors_.end()) c = it->second;
        }
        if (c == nullptr) return done(Error::transient("platform " + platform + " is not running"));
        c->on_event(std::move(bot), std::move(event), std::move(done));
      },
      metrics);
}

RcsHub::~RcsHub() = default;

void RcsHub::attach(const std::string& platform, RcsConnector* connector) {
  std::lock_guard lock(mutex_);
  connectors_[platform] = connector;
}

Status RcsHub::start_once() {
  std::lock_guard lock(mutex_);
  ++users_;
  if (running_) return {};
  if (start_error_) return *start_error_;
  auto st = server_->start();
  if (!st.ok()) {
    start_error_ = st.error();
    return st;
  }
  running_ = true;
  spdlog::info("rcs: webhook listening on port {}", server_->port());
  return {};
}

void RcsHub::release() {
  std::lock_guard lock(mutex_);
  if (users_ > 0 && --users_ == 0 && running_) {
    server_->stop();
    running_ = false;
  }
}

unsigned short RcsHub::port() const {
  return server_->port();
}

}  // namespace passerelle::rcs
