#pragma once
// A small HTTP/1.1 server for the RCS session's tests: 127.0.0.1, port 0, one coroutine per
// connection on the test's io_context; a handler decides each answer.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace passerelle::rcs::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct SeenRequest {
  int connection = 0;  // 1 for the first connection accepted
  std::string method, target, body;
  std::map<std::string, std::string> fields;  // lower-case names
  std::string field(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
  }
};

struct Reply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> fields;
  std::chrono::milliseconds delay{0};  // before answering
  bool chunked = false;                // no Content-Length
  bool close_after = false;            // close the connection after the answer, silently
};

class TestServer {
 public:
  using Handler = std::function<Reply(const SeenRequest&)>;

  TestServer(asio::io_context& io, Handler h) : io_(io), acceptor_(io), handler_(std::move(h)) {
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), asio::detached);
  }

  unsigned short port() const { return port_; }
  std::string url(const std::string& path = "/bot/v1") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  const std::vector<SeenRequest>& requests() const { return requests_; }
  int connections() const { return connections_; }
  int max_open() const { return max_open_; }
  void set_handler(Handler h) { handler_ = std::move(h); }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(io_, session(std::move(sock), ++connections_), asio::detached);
    }
  }

  asio::awaitable<void> session(asio::ip::tcp::socket sock, int id) {
    constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
    beast::tcp_stream s(std::move(sock));
    beast::flat_buffer buf;
    ++open_;
    max_open_ = std::max(max_open_, open_);
    for (;;) {
      http::request_parser<http::string_body> p;
      p.body_limit(64 * 1024 * 1024);
      auto [ec, n] = co_await http::async_read(s, buf, p, tuple);
      if (ec) break;
      const auto& req = p.get();
      SeenRequest seen;
      seen.connection = id;
      seen.method = std::string(req.method_string());
      seen.target = std::string(req.target());
      seen.body = req.body();
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        seen.fields[name] = std::string(f.value());
      }
      requests_.push_back(seen);
      Reply r = handler_(seen);
      if (r.delay.count() > 0) {
        asio::steady_timer t(io_, r.delay);
        co_await t.async_wait(tuple);
      }
      http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
      for (auto& [k, v] : r.fields) res.set(k, v);
      res.body() = r.body;
      if (r.chunked) {
        res.chunked(true);
      } else {
        res.prepare_payload();
      }
      res.keep_alive(true);
      auto [wec, wn] = co_await http::async_write(s, res, tuple);
      if (wec || r.close_after) break;
    }
    --open_;
    beast::error_code ignored;
    s.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    s.close();
  }

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  Handler handler_;
  unsigned short port_ = 0;
  std::vector<SeenRequest> requests_;
  int connections_ = 0, open_ = 0, max_open_ = 0;
};

}  // namespace passerelle::rcs::testing

#include <gtest/gtest.h>

#include "rcs/session/platform_client.hpp"

namespace passerelle::rcs::testing {

// An io_context, a server and clients; run() drives one test coroutine to its end.
struct Harness {
  explicit Harness(TestServer::Handler h) : server(io, std::move(h)) {}

  PlatformEndpoint endpoint() const {
    PlatformEndpoint ep;
    ep.name = "carrier-a";
    ep.api_url = server.url();
    ep.bot_id = "bot-a";
    ep.token = "tok-a";
    ep.timeout = std::chrono::milliseconds(2000);
    return ep;
  }

  std::shared_ptr<PlatformClient> client(PlatformEndpoint ep, Limits limits = {}) {
    auto c = PlatformClient::make(io.get_executor(), tls, std::move(ep), limits);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? *c : nullptr;
  }

  void run(std::function<asio::awaitable<void>()> body) {
    bool done = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await body();
          done = true;
        },
        [&](std::exception_ptr e) {
          io.stop();
          if (e) std::rethrow_exception(e);
        });
    io.restart();
    io.run_for(std::chrono::seconds(5));
    EXPECT_TRUE(done) << "the test coroutine did not finish";
  }

  asio::ssl::context tls{asio::ssl::context::tls_client};
  asio::io_context io;
  TestServer server;
};

}  // namespace passerelle::rcs::testing
