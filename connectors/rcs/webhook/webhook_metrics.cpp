#include "rcs/webhook/webhook_metrics.hpp"

#include <string_view>
#include <variant>

namespace passerelle::rcs {

namespace {
constexpr const char* kRequestsName = "passerelle_rcs_webhook_requests_total";
constexpr const char* kRequestsHelp = "RCS webhook requests answered, by platform and HTTP status";
constexpr const char* kEventsName = "passerelle_rcs_webhook_events_total";
constexpr const char* kEventsHelp = "RCS webhook events parsed, by platform and event type";
}  // namespace

WebhookMetrics::WebhookMetrics(Metrics* metrics, const std::vector<WebhookRoute>& routes)
    : metrics_(metrics) {
  if (metrics_ == nullptr) return;
  for (const auto& r : routes) platforms_.push_back(r.platform);
  platforms_.emplace_back("unknown");
  for (std::size_t p = 0; p < platforms_.size(); ++p) {
    auto& req = requests_.emplace_back();
    for (std::size_t s = 0; s < kStatuses.size(); ++s)
      req[s] = &metrics_->counter(
          kRequestsName, kRequestsHelp,
          {{"platform", platforms_[p]}, {"status", std::to_string(kStatuses[s])}});
    if (p + 1 == platforms_.size()) break;  // no events off-route
    auto& ev = events_.emplace_back();
    for (std::size_t e = 0; e < kEvents.size(); ++e)
      ev[e] = &metrics_->counter(kEventsName, kEventsHelp,
                                 {{"platform", platforms_[p]}, {"event", kEvents[e]}});
  }
}

void WebhookMetrics::request(std::size_t route, int status) {
  if (metrics_ == nullptr) return;
  const std::size_t p = route < platforms_.size() - 1 ? route : platforms_.size() - 1;
  for (std::size_t s = 0; s < kStatuses.size(); ++s) {
    if (kStatuses[s] == status) {
      requests_[p][s]->inc();
      return;
    }
  }
  // A status this table does not list yet: counted all the same (creating it locks).
  metrics_
      ->counter(kRequestsName, kRequestsHelp,
                {{"platform", platforms_[p]}, {"status", std::to_string(status)}})
      .inc();
}

void WebhookMetrics::event(std::size_t route, const Event& event) {
  if (metrics_ == nullptr || route >= events_.size()) return;
  // The type of an UnknownEvent is the caller's word: never a label.
  const std::string_view type =
      std::holds_alternative<UnknownEvent>(event) ? "unknown" : event_type(event);
  for (std::size_t e = 0; e < kEvents.size(); ++e) {
    if (type == kEvents[e]) {
      events_[route][e]->inc();
      return;
    }
  }
  // A type the codec learnt after this table: counted all the same (creating it locks).
  metrics_
      ->counter(kEventsName, kEventsHelp,
                {{"platform", platforms_[route]}, {"event", std::string(type)}})
      .inc();
}

}  // namespace passerelle::rcs
