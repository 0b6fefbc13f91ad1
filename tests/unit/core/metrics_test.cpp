#include "core/metrics.hpp"

#include <gtest/gtest.h>

namespace passerelle {
namespace {

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.counter("passerelle_messages_in_total", "Messages received", {{"network", "sms"}}).inc(3);
  m.gauge("passerelle_outbox_depth", "Open deliveries").set(7);
  auto& h = m.histogram("passerelle_routing_seconds", "Routing latency", {0.001, 0.01});
  h.observe(0.0005);
  h.observe(0.005);
  h.observe(1);
  m.gauge_fn("passerelle_up", "Up", {{"connector", "x\"y"}}, [] { return 1.0; });
  const auto text = m.render();
  EXPECT_NE(text.find("# TYPE passerelle_messages_in_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("passerelle_messages_in_total{network=\"sms\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("passerelle_outbox_depth 7\n"), std::string::npos);
  EXPECT_NE(text.find("passerelle_routing_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("passerelle_routing_seconds_bucket{le=\"0.01\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("passerelle_routing_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("passerelle_routing_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("passerelle_up{connector=\"x\\\"y\"} 1\n"), std::string::npos);
}

TEST(Metrics, SameSeriesIsSameObject) {
  Metrics m;
  auto& a = m.counter("c", "h", {{"k", "v"}});
  auto& b = m.counter("c", "h", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
}

}  // namespace
}  // namespace passerelle
