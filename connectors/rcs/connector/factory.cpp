#include "rcs/connector/factory.hpp"

#include "rcs/connector/rcs_connector.hpp"
#include "rcs/connector/rcs_hub.hpp"

namespace passerelle::rcs {

std::vector<std::unique_ptr<Connector>> make_rcs_connectors(boost::asio::io_context& io,
                                                            const config::Config& cfg,
                                                            EventSink& sink, Metrics* metrics,
                                                            std::shared_ptr<FileShare> files,
                                                            boost::asio::any_io_executor disk) {
  std::vector<std::unique_ptr<Connector>> out;
  if (!cfg.rcs.enabled || cfg.rcs.platforms.empty()) return out;
  auto hub = std::make_shared<RcsHub>(io, cfg.rcs, metrics);
  for (const auto& p : cfg.rcs.platforms) {
    auto c = std::make_unique<RcsConnector>(io, p, cfg.rcs, sink, hub, files,
                                            std::chrono::seconds(cfg.files.ttl_s), disk);
    hub->attach(p.name, c.get());
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace passerelle::rcs
