// One webhook connection: requests read one at a time, each judged by its head (gate.hpp),
// its body read with a bound and a timeout, parsed, handed to the connector, and answered
// once the connector's verdict is in (answer.hpp).

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "rcs/codec/events.hpp"
#include "rcs/webhook/gate.hpp"
#include "rcs/webhook/pending.hpp"
#include "rcs/webhook/server_state.hpp"

namespace passerelle::rcs {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// After an answer that leaves part of the request unread, what is still coming is read and
// dropped for this long (and up to this much) before closing, so that the client reads the
// answer instead of a connection reset (RFC 9112 §9.6).
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr std::size_t kLingerBytes = 1024 * 1024;
constexpr auto kTlsShutdownTime = std::chrono::seconds(2);
constexpr auto kOverCapTime = std::chrono::seconds(5);  // to write the 503 past the cap

// The peer went away, was quiet too long, or stop() closed the socket: nothing to answer.
bool quiet_end(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == beast::error::timeout || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::bad_descriptor || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated;
}

http::response<http::string_body> make_response(const Reply& r, unsigned version, bool keep_alive,
                                                bool allow_post) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "passerelle");
  res.set(http::field::content_type, "application/json");
  if (r.retry_after) res.set(http::field::retry_after, "1");
  if (allow_post) res.set(http::field::allow, "POST");
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

template <typename Stream>
asio::awaitable<bool> send(Stream& stream, std::chrono::seconds timeout, const Reply& r,
                           unsigned version, bool keep_alive, bool allow_post = false) {
  auto res = make_response(r, version, keep_alive, allow_post);
  beast::get_lowest_layer(stream).expires_after(timeout);
  auto [ec, n] = co_await http::async_write(stream, res, kTuple);
  co_return !ec;
}

asio::awaitable<void> close_stream(beast::tcp_stream& stream, bool linger) {
  beast::error_code ignored;
  if (linger) {
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(kLingerTime);
    std::array<char, 4096> sink;
    for (std::size_t total = 0; total < kLingerBytes;) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
      if (ec) break;
      total += n;
    }
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.close();
}

asio::awaitable<void> close_stream(beast::ssl_stream<beast::tcp_stream>& stream, bool) {
  // close_notify, and the peer's, within a bound.
  beast::get_lowest_layer(stream).expires_after(kTlsShutdownTime);
  co_await stream.async_shutdown(kTuple);
  beast::get_lowest_layer(stream).close();
}

RequestHead head_of(const http::request_parser<http::string_body>& parser) {
  const auto& req = parser.get();
  RequestHead head;
  head.method = req.method_string();
  head.target = req.target();
  head.authorization_count = req.count(http::field::authorization);
  if (const auto it = req.find(http::field::authorization); it != req.end())
    head.authorization = it->value();
  head.content_type = req[http::field::content_type];
  if (const auto len = parser.content_length()) head.content_length = *len;
  return head;
}

template <typename Stream>
asio::awaitable<void> serve(WebhookServer::Impl& srv, ConnectionState& conn, Stream& stream,
                            const std::string& peer, bool over_cap) {
  const WebhookOptions& o = srv.opts;
  auto& tcp_layer = beast::get_lowest_layer(stream);
  constexpr std::size_t npos = WebhookMetrics::npos;
  if (over_cap) {
    // Answered without reading: the request is drained by the lingering close.
    // Not counted under the cap, so held briefly.
    const Reply r = refusal(503, "too many connections (rcs webhook max_connections)");
    srv.answered(npos, peer, r);
    co_await send(stream, std::min(o.idle_timeout, kOverCapTime), r, 11, false);
    co_await close_stream(stream, true);
    co_return;
  }

  beast::flat_buffer buffer;
  bool linger = false;
  while (!conn.stopping) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(o.header_limit));
    parser.body_limit(boost::none);  // Content-Length is judged below, with the route known
    tcp_layer.expires_after(o.idle_timeout);
    auto [ec, hn] = co_await http::async_read_header(stream, buffer, parser, kTuple);
    if (ec) {
      if (!quiet_end(ec)) {
        const Reply r =
            refusal(400, ec == http::error::header_limit
                             ? "request head over " + std::to_string(o.header_limit) + " bytes"
                             : "malformed HTTP request: " + ec.message());
        srv.answered(npos, peer, r);
        co_await send(stream, o.idle_timeout, r, 11, false);
        linger = true;
      }
      break;
    }
    auto& req = parser.get();
    const bool keep_alive = req.keep_alive();
    const Verdict verdict = judge(head_of(parser), srv.routes, o.max_body);
    const std::size_t route = verdict.route != nullptr
                                  ? static_cast<std::size_t>(verdict.route - srv.routes.data())
                                  : npos;
    if (verdict.status != 0) {
      // A body left unread cannot be skipped reliably: close after the answer.
      const bool close = verdict.close || !parser.is_done() || !keep_alive;
      const Reply r = refusal(verdict.status, verdict.reason);
      srv.answered(route, peer, r);
      const bool sent =
          co_await send(stream, o.idle_timeout, r, req.version(), !close, verdict.status == 405);
      if (close || !sent) {
        linger = sent && !parser.is_done();
        break;
      }
      continue;
    }

    if (beast::iequals(req[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      tcp_layer.expires_after(o.idle_timeout);
      auto [cec, cn] = co_await asio::async_write(stream, asio::buffer(kContinue), kTuple);
      if (cec) break;
    }
    parser.body_limit(o.max_body);
    tcp_layer.expires_after(o.idle_timeout);
    auto [bec, bn] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (bec) {
      if (bec == http::error::body_limit) {
        const Reply r =
            refusal(413, "body over the limit of " + std::to_string(o.max_body) + " bytes");
        srv.answered(route, peer, r);
        linger = co_await send(stream, o.idle_timeout, r, req.version(), false);
      } else if (quiet_end(bec)) {
        spdlog::warn("rcs webhook {}: request from {} not answered: its body did not arrive ({})",
                     verdict.route->platform, peer, bec.message());
      } else {
        const Reply r = refusal(400, "malformed HTTP body: " + bec.message());
        srv.answered(route, peer, r);
        linger = co_await send(stream, o.idle_timeout, r, req.version(), false);
      }
      break;
    }

    auto event = parse_event(req.body(), o.limits);
    if (!event) {
      const Reply r = parse_failure(event.error());
      srv.answered(route, peer, r);
      if (!co_await send(stream, o.idle_timeout, r, req.version(), keep_alive) || !keep_alive)
        break;
      continue;
    }
    srv.metrics.event(route, *event);

    auto pending = std::make_shared<PendingVerdict>(conn.strand);
    // However this frame ends, `done` stops posting to its strand.
    struct Abandon {
      PendingVerdict& p;
      ~Abandon() { (void)p.take(); }
    } abandon{*pending};
    asio::post(srv.ex, [srv = srv.shared_from_this(), platform = verdict.route->platform,
                        ev = std::move(*event), done = pending->make_done()]() mutable {
      srv->handler(platform, std::move(ev), std::move(done));
    });
    asio::steady_timer wait(conn.strand, o.handler_timeout);
    conn.waiting = &wait;
    pending->arm(&wait);
    if (!pending->settled() && !conn.stopping) co_await wait.async_wait(kTuple);
    conn.waiting = nullptr;
    const auto outcome = pending->take();
    Reply r;
    if (outcome) {
      r = verdict_reply(*outcome);
    } else if (conn.stopping) {
      r = refusal(503, "shutting down before the event was committed");
    } else {
      r = refusal(503, "the connector did not answer within " +
                           std::to_string(o.handler_timeout.count()) + " ms");
    }
    srv.answered(route, peer, r);
    const bool close = !keep_alive || conn.stopping;
    if (!co_await send(stream, o.idle_timeout, r, req.version(), !close) || close) break;
  }
  co_await close_stream(stream, linger);
}

}  // namespace

asio::awaitable<void> run_connection(std::shared_ptr<WebhookServer::Impl> srv,
                                     std::shared_ptr<ConnectionState> conn, tcp::socket socket,
                                     bool over_cap) {
  // Leaves the server's books whatever way this coroutine ends.
  struct Books {
    WebhookServer::Impl& srv;
    ConnectionState& conn;
    bool counted;
    ~Books() {
      conn.tcp = nullptr;
      conn.waiting = nullptr;
      srv.leave(&conn);
      if (counted) srv.serving.fetch_sub(1);
    }
  } books{*srv, *conn, !over_cap};

  beast::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  const std::string peer = ec ? std::string("?") : remote.address().to_string();
  if (!srv->tls) {
    beast::tcp_stream stream(std::move(socket));
    conn->tcp = &stream;
    co_await serve(*srv, *conn, stream, peer, over_cap);
    conn->tcp = nullptr;
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *srv->tls);
  conn->tcp = &beast::get_lowest_layer(stream);
  beast::get_lowest_layer(stream).expires_after(srv->opts.idle_timeout);
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
  if (hec) {
    spdlog::debug("rcs webhook: TLS handshake with {} failed: {}", peer, hec.message());
  } else {
    co_await serve(*srv, *conn, stream, peer, over_cap);
  }
  conn->tcp = nullptr;
}

}  // namespace passerelle::rcs
