#include "client_connector.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "stanza.hpp"

namespace passerelle::xmpp {

XmppClientConnector::XmppClientConnector(std::vector<config::XmppAccount> accounts,
                                         const config::XmppSection& xmpp, EventSink& sink,
                                         LinkTimings timings)
    : LoopConnector("xmpp-client", sink),
      accounts_cfg_(std::move(accounts)),
      reconnect_initial_ms_(xmpp.reconnect_initial_ms),
      reconnect_max_ms_(xmpp.reconnect_max_ms),
      timings_(timings) {}

XmppClientConnector::~XmppClientConnector() = default;

void XmppClientConnector::setup(strophe::Context& ctx) {
  for (const auto& a : accounts_cfg_) {
    auto jid = parse_jid(a.jid);
    if (!jid || jid->local.empty()) {
      spdlog::error("[xmpp-client] xmpp.accounts: '{}' is not a user JID; skipped", a.jid);
      continue;
    }
    jid->resource = a.resource.empty() ? "passerelle" : a.resource;
    ClientOptions o;
    o.connector_name = name();
    o.account = *jid;
    const std::size_t idx = accounts_.size();
    Account acc;
    acc.session = std::make_unique<ClientSession>(
        o, make_env([this, idx](const xml::Element& e) { accounts_[idx].link->send(e); }));
    strophe::ConnectParams p;
    p.component = false;
    p.jid = jid->full();
    p.secret = a.password;
    p.host = a.host;
    p.port = static_cast<unsigned short>(a.port);
    p.tls = a.tls == "disabled"   ? strophe::TlsMode::disabled
            : a.tls == "optional" ? strophe::TlsMode::optional
                                  : strophe::TlsMode::required;
    ClientSession* session = acc.session.get();
    Link::Callbacks cb;
    cb.on_up = [session] { session->on_up(Clock::now()); };
    cb.on_down = [session] { session->on_down(); };
    cb.on_stanza = [session](const xml::Element& e) { session->on_stanza(e); };
    std::string account = session->address().id;
    cb.on_state = [this, account, idx](LinkState s, const std::string& reason) {
      const auto& l = accounts_[idx].link;
      link_state(account, s, reason, l ? l->reconnects() : 0);
    };
    acc.link = std::make_unique<Link>(ctx, std::move(p), jid->domain, account,
                                      make_backoff(reconnect_initial_ms_, reconnect_max_ms_),
                                      std::move(cb), timings_);
    accounts_.push_back(std::move(acc));
    link_state(account, LinkState::connecting, "starting", 0);
  }
}

void XmppClientConnector::tick(Clock::time_point now) {
  for (auto& a : accounts_) {
    a.link->tick(now);
    a.session->tick(now);
  }
}

Clock::time_point XmppClientConnector::next_deadline() const {
  auto due = Clock::time_point::max();
  for (const auto& a : accounts_)
    due = std::min({due, a.link->next_deadline(), a.session->next_deadline()});
  return due;
}

void XmppClientConnector::handle(const OutboundEvent& event) {
  const Address& from = std::visit([](const auto& ev) -> const Address& { return ev.from; }, event);
  for (auto& a : accounts_) {
    if (a.session->address() != from) continue;
    if (!a.link->up()) {
      report(event, Error::transient(from.id + " is not logged in (" + a.link->reason() + ")"));
      return;
    }
    report(event, a.session->send(event));
    return;
  }
  report(event, Error::missing(from.str() + " is not a configured xmpp.accounts entry"));
}

void XmppClientConnector::begin_close() {
  for (auto& a : accounts_) {
    if (a.link->up())
      a.link->send(presence({}, {}, Presence{PresenceState::offline, {}, Device::unknown, 0}));
    a.link->close();
  }
}

bool XmppClientConnector::all_closed() const {
  for (const auto& a : accounts_)
    if (!a.link->closed()) return false;
  return true;
}

void XmppClientConnector::teardown() {
  accounts_.clear();
}

}  // namespace passerelle::xmpp
