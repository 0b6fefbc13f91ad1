#pragma once
// The one place that knows every connector type (STYLE.md habit 10): builds the
// connectors the configuration enables, each behind a CMake option.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>

#include "config/config.hpp"
#include "connector/registry.hpp"
#include "core/metrics.hpp"
#include "http/file_share.hpp"
#include "router/router.hpp"

namespace passerelle {

// `files`: where connectors share the files they receive as links (null: files are told in
// words, not relayed). `disk`: where they do blocking file work (default: `io`).
void make_connectors(boost::asio::io_context& io, const config::Config& cfg, EventSink& sink,
                     ConnectorRegistry& registry, Metrics* metrics = nullptr,
                     std::shared_ptr<FileShare> files = nullptr,
                     boost::asio::any_io_executor disk = {});

// The SMS segment counter the router prices messages with.
SegmentCounter sms_segment_counter();

}  // namespace passerelle
