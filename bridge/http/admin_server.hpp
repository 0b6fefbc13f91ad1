#pragma once
// Admin HTTP (DESIGN.md §8): /healthz, /readyz, /metrics over Boost.Beast, one coroutine
// per connection on the shared io_context, plain on loopback or HTTPS when configured. GET and HEAD
// only; bounded headers, no body, idle timeout, and a cap on concurrent connections (refused with
// 503 past it).
//
// With a FileShare set, it also serves GET/HEAD /files/{token}/{name}: the links the bridge
// gives other networks for files (file_share.hpp). Those need no bearer token (the token in
// the path decides); everything else keeps requiring it when one is configured.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"

namespace passerelle {

class FileShare;

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct AdminHandlers {
  // Each runs on the core strand (so it may read the router's state) and returns what
  // to send. `readyz` answers 200 when every connector is up, else 503.
  std::function<AdminResponse()> readyz;
  std::function<AdminResponse()> metrics;
};

class AdminServer {
 public:
  AdminServer(boost::asio::io_context& io, boost::asio::any_io_executor core_strand,
              AdminHandlers handlers, std::string token);
  // Binds `listen` ("127.0.0.1:8480", "[::1]:8480"); port 0 picks a free port. With a
  // certificate chain and key (PEM files), serves HTTPS only (TLS 1.2 or later).
  Status start(const std::string& listen, const std::string& tls_cert_file = {},
               const std::string& tls_key_file = {});
  void stop();
  unsigned short port() const { return port_; }
  // Serves /files/{token}/{name} from `share` (null: no file route, /files/ is 404 as
  // before). Call before start().
  void set_file_share(std::shared_ptr<FileShare> share);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  unsigned short port_ = 0;
};

// Splits "host:port" / "[v6]:port". Errors say what is wrong.
Result<std::pair<std::string, unsigned short>> split_host_port(const std::string& listen);
bool is_loopback_host(const std::string& host);

}  // namespace passerelle
