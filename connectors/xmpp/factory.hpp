#pragma once
// The XMPP connectors a configuration asks for: the component gateway ("xmpp") when
// xmpp.enabled and xmpp.networks is not empty, and one client-mode connector
// ("xmpp-client") for all xmpp.accounts when there are any. Not started.

#include <memory>
#include <vector>

#include "config/config.hpp"
#include "connector/connector.hpp"

namespace passerelle::xmpp {

std::vector<std::unique_ptr<Connector>> make_xmpp_connectors(const config::Config& cfg,
                                                             EventSink& sink);

}  // namespace passerelle::xmpp

namespace passerelle {
using xmpp::make_xmpp_connectors;
}
