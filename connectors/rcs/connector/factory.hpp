#pragma once
// The RCS connectors the configuration enables: one per [[rcs.platform]] ("rcs:<name>"),
// sharing one webhook server (rcs_hub.hpp).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

#include "config/config.hpp"
#include "connector/connector.hpp"
#include "core/metrics.hpp"
#include "http/file_share.hpp"

namespace passerelle::rcs {

std::vector<std::unique_ptr<Connector>> make_rcs_connectors(boost::asio::io_context& io,
                                                            const config::Config& cfg,
                                                            EventSink& sink, Metrics* metrics,
                                                            std::shared_ptr<FileShare> files,
                                                            boost::asio::any_io_executor disk = {});

}  // namespace passerelle::rcs
