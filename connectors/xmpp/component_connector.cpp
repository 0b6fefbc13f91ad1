#include "component_connector.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace passerelle::xmpp {
namespace {
std::vector<Network> served(const config::XmppSection& x) {
  std::vector<Network> out;
  for (const auto& name : x.networks) {
    const auto n = network_from_name(name);
    if (!n || *n == Network::xmpp) {
      spdlog::warn("[xmpp] xmpp.networks: '{}' is not a network a component can serve; ignored",
                   name);
      continue;
    }
    if (std::find(out.begin(), out.end(), *n) == out.end()) out.push_back(*n);
  }
  return out;
}
}  // namespace

XmppComponentConnector::XmppComponentConnector(const config::XmppSection& xmpp,
                                               const config::BridgeSection& bridge,
                                               const config::AccessSection& access, EventSink& sink,
                                               LinkTimings timings)
    : LoopConnector("xmpp", sink),
      cfg_(xmpp),
      access_(access),
      map_(bridge.domain, served(xmpp)),
      timings_(timings) {}

XmppComponentConnector::~XmppComponentConnector() = default;

std::vector<std::string> XmppComponentConnector::domains() const {
  std::vector<std::string> out;
  for (Network n : map_.served()) out.push_back(map_.domain_of(n));
  return out;
}

void XmppComponentConnector::setup(strophe::Context& ctx) {
  for (Network n : map_.served()) {
    Component c;
    ComponentOptions o;
    o.connector_name = name();
    o.network = n;
    o.map = &map_;
    o.access = access_;
    c.session = std::make_unique<ComponentSession>(
        o, make_env([this, idx = components_.size()](const xml::Element& e) {
          components_[idx].link->send(e);
        }));
    const std::string domain = c.session->domain();
    strophe::ConnectParams p;
    p.component = true;
    p.jid = domain;
    p.secret = cfg_.secret;
    p.host = cfg_.component_host;
    p.port = static_cast<unsigned short>(cfg_.component_port);
    ComponentSession* session = c.session.get();
    Link::Callbacks cb;
    cb.on_stanza = [session](const xml::Element& e) { session->on_stanza(e); };
    const std::size_t idx = components_.size();
    cb.on_state = [this, domain, idx](LinkState s, const std::string& reason) {
      const auto& l = components_[idx].link;
      link_state(domain, s, reason, l ? l->reconnects() : 0);
    };
    c.link = std::make_unique<Link>(ctx, std::move(p), map_.bridge_domain(), domain,
                                    make_backoff(cfg_.reconnect_initial_ms, cfg_.reconnect_max_ms),
                                    std::move(cb), timings_);
    components_.push_back(std::move(c));
    link_state(domain, LinkState::connecting, "starting", 0);
  }
  if (components_.empty()) spdlog::warn("[xmpp] no network to serve (xmpp.networks is empty)");
}

void XmppComponentConnector::tick(Clock::time_point now) {
  for (auto& c : components_) c.link->tick(now);
}

Clock::time_point XmppComponentConnector::next_deadline() const {
  auto due = Clock::time_point::max();
  for (const auto& c : components_) due = std::min(due, c.link->next_deadline());
  return due;
}

void XmppComponentConnector::handle(const OutboundEvent& event) {
  const Address& from = std::visit([](const auto& ev) -> const Address& { return ev.from; }, event);
  for (auto& c : components_) {
    if (c.session->network() != from.network) continue;
    if (!c.link->up()) {
      report(event, Error::transient(c.session->domain() + " is not connected (" +
                                     c.link->reason() + ")"));
      return;
    }
    report(event, c.session->send(event));
    return;
  }
  report(event, Error::missing("no XMPP component serves " +
                               std::string(network_name(from.network)) + " (xmpp.networks)"));
}

void XmppComponentConnector::begin_close() {
  for (auto& c : components_) c.link->close();
}

bool XmppComponentConnector::all_closed() const {
  for (const auto& c : components_)
    if (!c.link->closed()) return false;
  return true;
}

void XmppComponentConnector::teardown() {
  components_.clear();
}

}  // namespace passerelle::xmpp
