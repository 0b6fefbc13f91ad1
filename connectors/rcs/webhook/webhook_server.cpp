// The listener: binding, TLS, the accept loop, the connection cap and stop().

#include "rcs/webhook/webhook_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>

#include "rcs/webhook/listen.hpp"
#include "rcs/webhook/server_state.hpp"

namespace passerelle::rcs {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

WebhookServer::Impl::Impl(asio::any_io_executor handler_ex, WebhookOptions o,
                          std::vector<WebhookRoute> r, WebhookHandler h, Metrics* m)
    : ex(std::move(handler_ex)),
      opts(std::move(o)),
      routes(std::move(r)),
      handler(std::move(h)),
      metrics(m, routes),
      acceptor(asio::make_strand(ex)) {}

asio::awaitable<void> WebhookServer::Impl::accept_loop() {
  auto self = shared_from_this();
  for (;;) {
    // Each connection on its own strand of the server's executor.
    auto [ec, socket] = co_await acceptor.async_accept(asio::any_io_executor(asio::make_strand(ex)),
                                                       asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // e.g. out of file descriptors: pause instead of spinning on the same error.
      spdlog::warn("rcs webhook: accept failed: {}; pausing 100 ms", ec.message());
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    // Only this loop adds to `serving`, so the check and the increment agree.
    const bool over_cap = serving.load() >= opts.max_connections;
    if (!over_cap) serving.fetch_add(1);
    auto conn = std::make_shared<ConnectionState>(socket.get_executor());
    if (!enter(conn)) {
      if (!over_cap) serving.fetch_sub(1);
      co_return;  // stopped; the socket closes here
    }
    const auto strand = socket.get_executor();
    asio::co_spawn(strand, run_connection(self, std::move(conn), std::move(socket), over_cap),
                   asio::detached);
  }
}

bool WebhookServer::Impl::enter(const std::shared_ptr<ConnectionState>& c) {
  std::lock_guard lock(mu);
  if (stopped) return false;
  connections.push_back(c);
  return true;
}

void WebhookServer::Impl::leave(const ConnectionState* c) {
  std::lock_guard lock(mu);
  connections.remove_if([c](const auto& p) { return p.get() == c; });
}

void WebhookServer::Impl::answered(std::size_t route, std::string_view peer, const Reply& reply) {
  metrics.request(route, reply.status);
  const std::string_view platform =
      route < routes.size() ? std::string_view(routes[route].platform) : "unknown";
  if (reply.status < 300) {
    spdlog::debug("rcs webhook {}: {} to {}", platform, reply.status, peer);
  } else if (reply.status == 404 || reply.status == 405) {
    spdlog::info("rcs webhook {}: {} to {}: {}", platform, reply.status, peer, reply.reason);
  } else {
    spdlog::warn("rcs webhook {}: {} to {}: {}", platform, reply.status, peer, reply.reason);
  }
}

WebhookServer::WebhookServer(asio::any_io_executor ex, WebhookOptions opts,
                             std::vector<WebhookRoute> routes, WebhookHandler handler,
                             Metrics* metrics)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(opts), std::move(routes),
                                   std::move(handler), metrics)) {}

WebhookServer::~WebhookServer() {
  stop();
}

unsigned short WebhookServer::port() const {
  return impl_->port.load();
}

namespace {

Status check_routes(const std::vector<WebhookRoute>& routes) {
  std::set<std::string_view> paths;
  for (const auto& r : routes) {
    if (r.path.empty() || r.path.front() != '/' || r.path.find('?') != std::string::npos)
      return Error::invalid("rcs platform " + r.platform + ": webhook path '" + r.path +
                            "' must start with / and have no query");
    if (!paths.insert(r.path).second)
      return Error::invalid("rcs platform " + r.platform + ": webhook path " + r.path +
                            " is already another platform's; give each its own");
  }
  return {};
}

Result<std::unique_ptr<asio::ssl::context>> tls_context(const WebhookOptions& o) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty())
    return Error::invalid(
        "rcs webhook: set both the TLS certificate chain and its key file, or neither");
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                   ec);
  if (!ec) ctx->use_certificate_chain_file(o.tls_cert_file, ec);
  if (ec)
    return Error::invalid("rcs webhook TLS certificate " + o.tls_cert_file +
                          ": cannot use it as a PEM certificate chain: " + ec.message());
  ctx->use_private_key_file(o.tls_key_file, asio::ssl::context::pem, ec);
  if (ec)
    return Error::invalid(
        "rcs webhook TLS key " + o.tls_key_file +
        ": cannot use it as the PEM private key of that certificate: " + ec.message());
  return ctx;
}

}  // namespace

Status WebhookServer::start() {
  Impl& s = *impl_;
  if (auto st = check_routes(s.routes); !st.ok()) return st;
  if (s.opts.max_connections == 0 || s.opts.max_body == 0)
    return Error::invalid("rcs webhook: max_connections and max_body must be above 0");
  auto where = parse_listen(s.opts.listen);
  if (!where.ok()) return Error::invalid("rcs.webhook_listen: " + where.error().message);
  if (!s.opts.tls_cert_file.empty() || !s.opts.tls_key_file.empty()) {
    auto ctx = tls_context(s.opts);
    if (!ctx.ok()) return ctx.error();
    s.tls = std::move(ctx.value());
  }
  boost::system::error_code ec;
  const tcp::endpoint ep(asio::ip::make_address(where->host), where->port);
  s.acceptor.open(ep.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(ep, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::string hint = "change rcs.webhook_listen";
    if (ec == asio::error::address_in_use)
      hint = "address in use (another passerelle or program on that port?): " + hint;
    else if (ec == asio::error::access_denied)
      hint = "permission denied (ports below 1024 need privileges): " + hint;
    else if (ec == boost::system::errc::address_not_available)
      hint = "no interface has that address: " + hint;
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
    return Error{
        Errc::unavailable,
        "rcs webhook: cannot listen on " + s.opts.listen + ": " + ec.message() + "; " + hint, false,
        0};
  }
  s.port = s.acceptor.local_endpoint().port();
  for (const auto& r : s.routes) {
    if (r.authorization.empty())
      spdlog::warn("rcs webhook {}: {} takes events without an Authorization check", r.platform,
                   r.path);
  }
  asio::co_spawn(s.acceptor.get_executor(), s.accept_loop(), asio::detached);
  spdlog::info("rcs webhook: listening on {}://{}:{} for {} platform(s)", s.tls ? "https" : "http",
               where->host, s.port.load(), s.routes.size());
  return {};
}

void WebhookServer::stop() {
  std::list<std::shared_ptr<ConnectionState>> open;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
    open = impl_->connections;
  }
  asio::dispatch(impl_->acceptor.get_executor(), [impl = impl_] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
  });
  for (auto& c : open) {
    asio::post(c->strand, [c] {
      c->stopping = true;
      if (c->waiting != nullptr)
        c->waiting->cancel();  // answered 503, then closed
      else if (c->tcp != nullptr)
        c->tcp->close();
    });
  }
}

}  // namespace passerelle::rcs
