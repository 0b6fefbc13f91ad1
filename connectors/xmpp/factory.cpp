#include "factory.hpp"

#include "client_connector.hpp"
#include "component_connector.hpp"

namespace passerelle::xmpp {

std::vector<std::unique_ptr<Connector>> make_xmpp_connectors(const config::Config& cfg,
                                                             EventSink& sink) {
  std::vector<std::unique_ptr<Connector>> out;
  if (!cfg.xmpp.enabled) return out;
  if (!cfg.xmpp.networks.empty())
    out.push_back(std::make_unique<XmppComponentConnector>(cfg.xmpp, cfg.bridge, cfg.access, sink));
  if (!cfg.xmpp.accounts.empty())
    out.push_back(std::make_unique<XmppClientConnector>(cfg.xmpp.accounts, cfg.xmpp, sink));
  return out;
}

}  // namespace passerelle::xmpp
