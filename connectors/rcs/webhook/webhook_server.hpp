#pragma once
// The webhook server: where the carriers' MaaP platforms POST their events to the bot
// (tests/peers/rcs/README.md, "Webhooks"). One listener for every platform, told apart by
// the request path; HTTP/1.1 on Boost.Beast, one coroutine per connection on its own
// strand, plain or HTTPS only.
//
// Each request is judged by its head before the body is read (gate.hpp): unknown path
// 404, not POST 405, Authorization 401, Content-Type 415, Content-Length 413. The body is
// read with a size bound and a timeout, parsed by parse_event (errors answer their
// protocol_status), and the event handed to the connector; the answer waits for the
// connector's verdict (answer.hpp), so a 2xx means the event is committed and anything
// else makes the platform send it again.

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/result.hpp"
#include "rcs/codec/events.hpp"
#include "rcs/codec/limits.hpp"

namespace passerelle::rcs {

struct WebhookRoute {
  std::string path;           // request target path, e.g. "/rcs/carrier-a" (exact, query ignored)
  std::string platform;       // name handed to the handler, and the metrics' label
  std::string authorization;  // expected Authorization value, compared verbatim in constant time;
                              // "" = no check (the configuration must have allowed it)
};

struct WebhookOptions {
  std::string listen = "127.0.0.1:8481";    // "host:port" or "[v6]:port"; port 0 = any free port
  std::string tls_cert_file, tls_key_file;  // both set: HTTPS only (TLS 1.2 or later)
  std::size_t max_body = 256 * 1024;        // Content-Length over it: 413 before reading the body
  std::size_t max_connections = 256;        // over it: 503 and close
  std::chrono::seconds idle_timeout{30};    // between requests, and to read one (head or body)
  // How long an answer waits for the handler's `done`; past it, 503 (the platform retries).
  std::chrono::milliseconds handler_timeout{30000};
  std::size_t header_limit = 16 * 1024;  // request line and headers; over it: 400 and close
  Limits limits;                         // for parse_event
};

// Called on the server's executor (the one given to the constructor) for every event that
// parsed, UnknownEvent included. The connector calls `done` exactly once, from any thread,
// when the event is committed (ok) or refused (an Error); later calls are ignored. The
// answer waits for it:
//   ok -> 200 "{}"; error.retryable -> 503 with Retry-After: 1; other error -> 400 with a
//   one-line JSON body. No call within WebhookOptions::handler_timeout, or every copy of
//   `done` destroyed without a call: 503.
// `done` must not be called once the io_context is destroyed.
using WebhookHandler =
    std::function<void(const std::string& platform, Event event, std::function<void(Status)> done)>;

// Destroy it (which stops it) before the io_context it runs on.
class WebhookServer {
 public:
  // `metrics` (may be null) must outlive the server: passerelle_rcs_webhook_requests_total
  // {platform, status} and passerelle_rcs_webhook_events_total {platform, event}.
  WebhookServer(boost::asio::any_io_executor ex, WebhookOptions opts,
                std::vector<WebhookRoute> routes, WebhookHandler handler,
                Metrics* metrics = nullptr);
  ~WebhookServer();
  WebhookServer(const WebhookServer&) = delete;
  WebhookServer& operator=(const WebhookServer&) = delete;

  // Binds and starts accepting. Errors say what to change (rcs.webhook_listen, the TLS files,
  // a route). Call once.
  Status start();
  // Stops accepting and closes every connection; a request waiting for its `done` is answered
  // 503 first. Thread-safe; returns at once (the closing happens on the connections' strands).
  void stop();
  // The bound port (the chosen one for port 0); 0 before start().
  unsigned short port() const;

  struct Impl;  // server_state.hpp

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace passerelle::rcs
