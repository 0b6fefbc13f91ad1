#pragma once
// Private: what the listener and its connections share (webhook_server.cpp, connection.cpp).

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <list>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "rcs/webhook/answer.hpp"
#include "rcs/webhook/webhook_metrics.hpp"
#include "rcs/webhook/webhook_server.hpp"

namespace passerelle::rcs {

// One connection, as stop() sees it. Members but `strand` are touched on that strand only.
struct ConnectionState {
  explicit ConnectionState(boost::asio::any_io_executor s) : strand(std::move(s)) {}
  boost::asio::any_io_executor strand;
  boost::beast::tcp_stream* tcp = nullptr;       // while the stream exists
  boost::asio::steady_timer* waiting = nullptr;  // while waiting for a verdict
  bool stopping = false;
};

struct WebhookServer::Impl : std::enable_shared_from_this<WebhookServer::Impl> {
  Impl(boost::asio::any_io_executor handler_ex, WebhookOptions o, std::vector<WebhookRoute> r,
       WebhookHandler h, Metrics* m);

  boost::asio::any_io_executor ex;  // where the handler runs; connections get strands of it
  const WebhookOptions opts;
  const std::vector<WebhookRoute> routes;
  WebhookHandler handler;
  WebhookMetrics metrics;
  boost::asio::ip::tcp::acceptor acceptor;         // on its own strand
  std::unique_ptr<boost::asio::ssl::context> tls;  // set: HTTPS only
  std::atomic<unsigned short> port{0};
  std::atomic<std::size_t> serving{0};  // connections under the cap (not the refused ones)

  std::mutex mu;  // guards the two below
  bool stopped = false;
  std::list<std::shared_ptr<ConnectionState>> connections;

  boost::asio::awaitable<void> accept_loop();
  // False once stopped (the connection must close at once).
  bool enter(const std::shared_ptr<ConnectionState>& c);
  void leave(const ConnectionState* c);

  // Counts and logs an answer, once per request: `route` indexes `routes` (npos: none).
  void answered(std::size_t route, std::string_view peer, const Reply& reply);
};

// The coroutine of one accepted connection, spawned on the socket's strand. `over_cap`:
// answer 503 and close.
boost::asio::awaitable<void> run_connection(std::shared_ptr<WebhookServer::Impl> srv,
                                            std::shared_ptr<ConnectionState> conn,
                                            boost::asio::ip::tcp::socket socket, bool over_cap);

}  // namespace passerelle::rcs
