#pragma once
// The webhook's counters, every series created up front (the statuses the server answers
// and the event types the codec knows, per route) so that counting is lock-free and the
// labels stay bounded whatever a caller sends:
//   passerelle_rcs_webhook_requests_total{platform, status}  platform "unknown" off-route
//   passerelle_rcs_webhook_events_total{platform, event}     event "unknown" for UnknownEvent

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "rcs/codec/events.hpp"
#include "rcs/webhook/webhook_server.hpp"

namespace passerelle::rcs {

class WebhookMetrics {
 public:
  // Null `metrics`: every call does nothing.
  WebhookMetrics(Metrics* metrics, const std::vector<WebhookRoute>& routes);

  // `route`: an index in the routes given, or npos for "unknown". Thread-safe.
  void request(std::size_t route, int status);
  void event(std::size_t route, const Event& event);

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

 private:
  static constexpr std::array<int, 8> kStatuses = {200, 400, 401, 404, 405, 413, 415, 503};
  static constexpr std::array<const char*, 8> kEvents = {"message",    "isTyping", "messageStatus",
                                                         "response",   "newUser",  "alias",
                                                         "fileStatus", "unknown"};

  Metrics* metrics_;
  std::vector<std::string> platforms_;  // per route, then "unknown"
  std::vector<std::array<Counter*, kStatuses.size()>> requests_;
  std::vector<std::array<Counter*, kEvents.size()>> events_;
};

}  // namespace passerelle::rcs
