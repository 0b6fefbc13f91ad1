#include "http/admin_server.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>

namespace passerelle {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t kMaxConnections = 64;
constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr auto kIdleTimeout = std::chrono::seconds(10);
}  // namespace

Result<std::pair<std::string, unsigned short>> split_host_port(const std::string& listen) {
  std::string host, port;
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
      return Error::invalid("'" + listen + "' is not [ipv6]:port");
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) return Error::invalid("'" + listen + "' has no :port");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || p != port.data() + port.size() || value > 65535)
    return Error::invalid("'" + port + "' is not a port number");
  return std::make_pair(host, static_cast<unsigned short>(value));
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

struct AdminServer::Impl : std::enable_shared_from_this<AdminServer::Impl> {
  Impl(asio::io_context& io, asio::any_io_executor core, AdminHandlers h, std::string t)
      : acceptor(io), core_strand(std::move(core)), handlers(std::move(h)), token(std::move(t)) {}

  tcp::acceptor acceptor;
  asio::any_io_executor core_strand;
  AdminHandlers handlers;
  std::string token;
  std::atomic<std::size_t> connections{0};

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        // e.g. out of file descriptors: pause instead of spinning on the same error.
        spdlog::warn("http: accept failed: {}; pausing 100 ms", ec.message());
        asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<AdminResponse> route(const http::request<http::empty_body>& req) {
    if (req.method() != http::verb::get && req.method() != http::verb::head)
      co_return AdminResponse{405, "text/plain; charset=utf-8",
                              "only GET and HEAD are served here\n"};
    if (!token.empty()) {
      const auto auth = req[http::field::authorization];
      const std::string expected = "Bearer " + token;
      // Constant time in the token's content.
      if (auth.size() != expected.size() ||
          CRYPTO_memcmp(auth.data(), expected.data(), expected.size()) != 0)
        co_return AdminResponse{401, "text/plain; charset=utf-8",
                                "missing or wrong bearer token\n"};
    }
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/healthz") co_return AdminResponse{200, "text/plain; charset=utf-8", "ok\n"};
    if (path == "/readyz" || path == "/metrics") {
      auto& fn = path == "/readyz" ? handlers.readyz : handlers.metrics;
      auto here = co_await asio::this_coro::executor;
      co_await asio::dispatch(core_strand, asio::use_awaitable);
      AdminResponse r = fn ? fn() : AdminResponse{503, "text/plain", "not ready\n"};
      co_await asio::dispatch(here, asio::use_awaitable);
      co_return r;
    }
    co_return AdminResponse{404, "text/plain; charset=utf-8",
                            "not found; try /healthz, /readyz or /metrics\n"};
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    auto self = shared_from_this();
    beast::tcp_stream stream(std::move(socket));
    struct Slot {
      std::atomic<std::size_t>& n;
      ~Slot() { n.fetch_sub(1); }
    } slot{connections};
    if (connections.fetch_add(1) >= kMaxConnections) {
      http::response<http::string_body> res{http::status::service_unavailable, 11};
      res.set(http::field::connection, "close");
      res.body() = "too many admin connections\n";
      res.prepare_payload();
      stream.expires_after(kIdleTimeout);
      co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
      co_return;
    }
    beast::flat_buffer buffer(kHeaderLimit);
    for (;;) {
      http::request_parser<http::empty_body> parser;
      parser.header_limit(kHeaderLimit);
      parser.body_limit(0);
      stream.expires_after(kIdleTimeout);
      auto [ec, n] =
          co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
            ec != asio::error::eof && ec != asio::error::connection_reset) {
          // Malformed or oversize request: answer 400 and close.
          http::response<http::string_body> res{http::status::bad_request, 11};
          res.set(http::field::connection, "close");
          res.set(http::field::content_type, "text/plain; charset=utf-8");
          res.body() = "bad request: " + ec.message() + "\n";
          res.prepare_payload();
          stream.expires_after(kIdleTimeout);
          co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        }
        break;
      }
      const auto& req = parser.get();
      AdminResponse r = co_await route(req);
      http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
      res.set(http::field::server, "passerelle");
      res.set(http::field::content_type, r.content_type);
      res.set(http::field::cache_control, "no-store");
      res.keep_alive(req.keep_alive());
      res.body() = std::move(r.body);
      res.prepare_payload();
      if (req.method() == http::verb::head) res.body().clear();
      stream.expires_after(kIdleTimeout);
      auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
      if (wec || !req.keep_alive()) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
};

AdminServer::AdminServer(asio::io_context& io, asio::any_io_executor core_strand,
                         AdminHandlers handlers, std::string token)
    : impl_(std::make_shared<Impl>(io, std::move(core_strand), std::move(handlers),
                                   std::move(token))) {}

Status AdminServer::start(const std::string& listen) {
  auto hp = split_host_port(listen);
  if (!hp.ok()) return Error::invalid("http.listen: " + hp.error().message);
  boost::system::error_code ec;
  const std::string host = hp->first == "localhost" ? "127.0.0.1" : hp->first;
  const auto addr = asio::ip::make_address(host, ec);
  if (ec) return Error::invalid("http.listen: '" + hp->first + "' is not an IP address");
  const tcp::endpoint ep(addr, hp->second);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Error{Errc::unavailable,
                 "cannot listen on " + listen + ": " + ec.message() +
                     " (is another passerelle running? change http.listen)",
                 false, 0};
  port_ = a.local_endpoint().port();
  asio::co_spawn(a.get_executor(), impl_->accept_loop(), asio::detached);
  spdlog::info("http: admin on http://{}:{}/ (healthz, readyz, metrics)", hp->first, port_);
  return {};
}

void AdminServer::stop() {
  asio::dispatch(impl_->acceptor.get_executor(), [impl = impl_] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
  });
}

}  // namespace passerelle
