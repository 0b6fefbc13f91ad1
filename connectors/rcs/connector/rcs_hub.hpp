#pragma once
// What the RCS connectors of every platform share: the webhook server the platforms POST
// their events to (one listener, rcs.webhook_listen, a path per platform), handing each
// event to its platform's connector. The first connector to start starts it; the last to
// stop stops it.
//
// Threads: start_once and release are called on the connectors' strands; the server runs
// on its own strand.

#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"

namespace passerelle::rcs {

class RcsConnector;
class WebhookServer;

class RcsHub {
 public:
  RcsHub(boost::asio::io_context& io, const config::RcsSection& section, Metrics* metrics);
  ~RcsHub();

  // Before start: the connector that takes `platform`'s events.
  void attach(const std::string& platform, RcsConnector* connector);
  Status start_once();
  void release();
  unsigned short port() const;

 private:
  std::unique_ptr<WebhookServer> server_;
  std::map<std::string, RcsConnector*> connectors_;
  std::mutex mutex_;
  int users_ = 0;
  bool running_ = false;
  std::optional<Error> start_error_;
};

}  // namespace passerelle::rcs
