#pragma once
// The one place that knows every connector type (STYLE.md habit 10): builds the
// connectors the configuration enables, each behind a CMake option.

#include <boost/asio/io_context.hpp>

#include "config/config.hpp"
#include "connector/registry.hpp"
#include "core/metrics.hpp"
#include "router/router.hpp"

namespace passerelle {

void make_connectors(boost::asio::io_context& io, const config::Config& cfg, EventSink& sink,
                     ConnectorRegistry& registry, Metrics* metrics = nullptr);

// The SMS segment counter the router prices messages with.
SegmentCounter sms_segment_counter();

}  // namespace passerelle
