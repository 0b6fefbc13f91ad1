#include "http/admin_server.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <limits>

#include "http/file_route.hpp"
#include "http/file_share.hpp"

namespace passerelle {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t kMaxConnections = 64;
constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr auto kIdleTimeout = std::chrono::seconds(10);

// Ends a connection: TLS close_notify first where there is TLS.
asio::awaitable<void> close_stream(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return;
}
asio::awaitable<void> close_stream(beast::ssl_stream<beast::tcp_stream>& stream) {
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
}
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
  std::unique_ptr<asio::ssl::context> tls;  // set: HTTPS only
  asio::any_io_executor core_strand;
  AdminHandlers handlers;
  std::string token;
  std::shared_ptr<FileShare> file_share;  // set before start(); null: no /files/ route
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
      if (tls)
        asio::co_spawn(acceptor.get_executor(), serve_tls(std::move(socket)), asio::detached);
      else
        asio::co_spawn(acceptor.get_executor(), serve(beast::tcp_stream(std::move(socket))),
                       asio::detached);
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

  asio::awaitable<void> serve_tls(tcp::socket socket) {
    auto self = shared_from_this();
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
    beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                                asio::as_tuple(asio::use_awaitable));
    if (ec) {
      spdlog::debug("http: TLS handshake failed: {}", ec.message());
      co_return;
    }
    co_await serve(std::move(stream));
  }

  // A short text answer on the /files/ route. Returns whether the connection goes on.
  template <typename Stream>
  asio::awaitable<bool> write_text(Stream& stream, http::response<http::string_body>& res,
                                   bool head) {
    res.set(http::field::server, "passerelle");
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.prepare_payload();
    if (head) res.body().clear();
    beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
    auto [ec, n] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    co_return !ec && res.keep_alive();
  }

  // GET/HEAD /files/{token}/{name}: the token alone decides, the name must be the one it
  // was shared under. The file is streamed in 64 KiB reads; the idle timeout applies to
  // each write, not to the whole transfer (a 100 MB file on a slow link takes minutes).
  template <typename Stream>
  asio::awaitable<bool> serve_file(Stream& stream, const http::request<http::empty_body>& req) {
    const bool head = req.method() == http::verb::head;
    const auto target = files::parse_target(req.target());
    std::optional<FileShareEntry> entry;
    if (target) entry = file_share->find(target->token);
    http::response<files::FileRangeBody> res{http::status::ok, req.version()};
    beast::error_code ec;
    std::uint64_t size = 0;
    if (entry && entry->name == target->name) {
      res.body().file.open(entry->path.c_str(), beast::file_mode::scan, ec);
      if (!ec) size = res.body().file.size(ec);
      if (ec) spdlog::warn("files: cannot open {}: {}", entry->path.string(), ec.message());
    }
    if (!entry || entry->name != target->name || ec) {
      http::response<http::string_body> nf{http::status::not_found, req.version()};
      nf.keep_alive(req.keep_alive());
      nf.body() = "no such file, or its link has expired\n";
      co_return co_await write_text(stream, nf, head);
    }
    const std::string etag = "\"" + entry->sha256 + "\"";
    auto range = files::parse_range(req[http::field::range], size);
    // If-Range (RFC 9110 §13.1.5): a range of another version is no use; send it whole.
    if (range.kind != files::RangeKind::whole && req.count(http::field::if_range) &&
        req[http::field::if_range] != etag)
      range = {};
    if (range.kind == files::RangeKind::unsatisfiable) {
      http::response<http::string_body> bad{http::status::range_not_satisfiable, req.version()};
      bad.keep_alive(req.keep_alive());
      bad.set(http::field::content_range, "bytes */" + std::to_string(size));
      bad.body() = "range not satisfiable\n";
      co_return co_await write_text(stream, bad, head);
    }
    res.set(http::field::server, "passerelle");
    res.set(http::field::content_type, entry->content_type);
    res.set(http::field::content_disposition, files::content_disposition(entry->name));
    res.set(http::field::cache_control, "private");
    res.set(http::field::etag, etag);
    res.set(http::field::accept_ranges, "bytes");
    // Bytes from another network: never rendered as a page of this origin.
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Content-Security-Policy", "default-src 'none'; sandbox");
    res.body().offset = 0;
    res.body().length = size;
    if (range.kind == files::RangeKind::partial) {
      res.result(http::status::partial_content);
      res.set(http::field::content_range,
              "bytes " + std::to_string(range.range.first) + "-" +
                  std::to_string(range.range.first + range.range.length - 1) + "/" +
                  std::to_string(size));
      res.body().offset = range.range.first;
      res.body().length = range.range.length;
    }
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto& tcp_layer = beast::get_lowest_layer(stream);
    if (head) {
      http::response<http::empty_body> hres{std::move(res.base())};
      tcp_layer.expires_after(kIdleTimeout);
      auto [wec, n] = co_await http::async_write(stream, hres, asio::as_tuple(asio::use_awaitable));
      co_return !wec && req.keep_alive();
    }
    http::response_serializer<files::FileRangeBody> sr{res};
    while (!sr.is_done()) {
      tcp_layer.expires_after(kIdleTimeout);
      auto [wec, n] =
          co_await http::async_write_some(stream, sr, asio::as_tuple(asio::use_awaitable));
      if (wec) {
        spdlog::debug("files: transfer of {} ended: {}", entry->name, wec.message());
        co_return false;
      }
    }
    co_return req.keep_alive();
  }

  template <typename Stream>
  asio::awaitable<void> serve(Stream stream) {
    auto self = shared_from_this();
    auto& tcp_layer = beast::get_lowest_layer(stream);
    struct Slot {
      std::atomic<std::size_t>& n;
      ~Slot() { n.fetch_sub(1); }
    } slot{connections};
    if (connections.fetch_add(1) >= kMaxConnections) {
      http::response<http::string_body> res{http::status::service_unavailable, 11};
      res.set(http::field::connection, "close");
      res.body() = "too many admin connections\n";
      res.prepare_payload();
      tcp_layer.expires_after(kIdleTimeout);
      co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
      co_await close_stream(stream);
      co_return;
    }
    beast::flat_buffer buffer(kHeaderLimit);
    for (;;) {
      http::request_parser<http::empty_body> parser;
      parser.header_limit(kHeaderLimit);
      // A body is never read (no route takes one); its announced size must not fail the head.
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      tcp_layer.expires_after(kIdleTimeout);
      // The head only: a method other than GET and HEAD is answered 405 whatever its body,
      // a GET or HEAD with a body 400; either way the body stays unread and the connection
      // closes after the answer.
      auto [ec, n] = co_await http::async_read_header(stream, buffer, parser,
                                                      asio::as_tuple(asio::use_awaitable));
      const bool body_left = !ec && !parser.is_done();
      if (body_left &&
          (parser.get().method() == http::verb::get || parser.get().method() == http::verb::head))
        ec = http::error::unexpected_body;
      if (ec) {
        if (ec != http::error::end_of_stream && ec != beast::error::timeout &&
            ec != asio::error::eof && ec != asio::error::connection_reset) {
          // Malformed or oversize request: answer 400 and close.
          http::response<http::string_body> res{http::status::bad_request, 11};
          res.set(http::field::connection, "close");
          res.set(http::field::content_type, "text/plain; charset=utf-8");
          res.body() = "bad request: " + ec.message() + "\n";
          res.prepare_payload();
          tcp_layer.expires_after(kIdleTimeout);
          co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        }
        break;
      }
      const auto& req = parser.get();
      if (file_share && files::is_files_target(req.target()) &&
          (req.method() == http::verb::get || req.method() == http::verb::head)) {
        const bool more = co_await serve_file(stream, req);
        if (!more) break;
        continue;
      }
      AdminResponse r = co_await route(req);
      http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
      res.set(http::field::server, "passerelle");
      res.set(http::field::content_type, r.content_type);
      res.set(http::field::cache_control, "no-store");
      if (r.status == 405) res.set(http::field::allow, "GET, HEAD");
      res.keep_alive(req.keep_alive() && !body_left);
      res.body() = std::move(r.body);
      res.prepare_payload();
      if (req.method() == http::verb::head) res.body().clear();
      tcp_layer.expires_after(kIdleTimeout);
      auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
      if (wec || !res.keep_alive()) break;
    }
    co_await close_stream(stream);
  }
};

AdminServer::AdminServer(asio::io_context& io, asio::any_io_executor core_strand,
                         AdminHandlers handlers, std::string token)
    : impl_(std::make_shared<Impl>(io, std::move(core_strand), std::move(handlers),
                                   std::move(token))) {}

Status AdminServer::start(const std::string& listen, const std::string& tls_cert_file,
                          const std::string& tls_key_file) {
  auto hp = split_host_port(listen);
  if (!hp.ok()) return Error::invalid("http.listen: " + hp.error().message);
  if (!tls_cert_file.empty() || !tls_key_file.empty()) {
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    boost::system::error_code tls_ec;
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                     tls_ec);
    if (!tls_ec) ctx->use_certificate_chain_file(tls_cert_file, tls_ec);
    if (tls_ec)
      return Error::invalid("http.tls_cert_file " + tls_cert_file +
                            ": cannot use it as a PEM certificate chain: " + tls_ec.message());
    ctx->use_private_key_file(tls_key_file, asio::ssl::context::pem, tls_ec);
    if (tls_ec)
      return Error::invalid(
          "http.tls_key_file " + tls_key_file +
          ": cannot use it as the PEM private key of that certificate: " + tls_ec.message());
    impl_->tls = std::move(ctx);
  }
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
  spdlog::info("http: admin on {}://{}:{}/ (healthz, readyz, metrics{})",
               impl_->tls ? "https" : "http", hp->first, port_, impl_->file_share ? ", files" : "");
  return {};
}

void AdminServer::set_file_share(std::shared_ptr<FileShare> share) {
  impl_->file_share = std::move(share);
}

void AdminServer::stop() {
  asio::dispatch(impl_->acceptor.get_executor(), [impl = impl_] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
  });
}

}  // namespace passerelle
