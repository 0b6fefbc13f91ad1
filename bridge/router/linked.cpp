// Linked accounts on AIM, ICQ and MSN (DESIGN.md §3, puppeting): a person's contacts on
// those networks appear to their XMPP client as puppets on aim./icq./msn.<domain>;
// writing to a puppet sends through the person's own linked account, and what arrives on
// that account comes back from the puppet. When the person is offline everywhere, it
// goes to their phone by SMS and the answer goes back over the account; a message to an
// MSN contact who is offline goes to that contact's phone when the person allows it.

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "router/internal.hpp"
#include "router/router.hpp"

namespace passerelle {
namespace {

void ack_ok(const AckFn& ack) {
  ack_with(ack, {});
}

bool is_legacy(Network n) {
  return n == Network::aim || n == Network::icq || n == Network::msn;
}

}  // namespace

void Router::load_linked_accounts() {
  auto add = [this](const std::vector<config::LegacyAccount>& accounts, const char* connector) {
    for (const auto& a : accounts) {
      auto n = network_from_name(a.network);
      if (!n) continue;
      if (auto addr = make_address(*n, a.login); addr.ok()) {
        if (a.gateway)
          directory_.add_gateway(*addr, connector, a.allow);
        else
          directory_.add_account(*addr, connector, a.person);
        configured_accounts_.insert(*addr);
        if (a.sms_to_offline_contacts && *n == Network::msn) sms_to_offline_.insert(*addr);
      }
    }
  };
  if (cfg_.oscar.enabled) add(cfg_.oscar.accounts, "oscar");
  if (cfg_.msn.enabled) add(cfg_.msn.accounts, "msn");
}

// An XMPP user writes to a puppet of their AIM, ICQ or MSN contact.
void Router::on_puppet_message(InboundMessage& m) {
  const auto t0 = std::chrono::steady_clock::now();
  const Person* p = directory_.person_of(m.from);
  const auto account = p ? directory_.account_on(*p, m.to.network) : std::nullopt;
  const std::string label(network_label(m.to.network));
  if (!account) {
    refused_.inc();
    return ack_with(
        m.ack, Error::missing("you have no linked " + label + " account: register one on the " +
                              label + " gateway first"));
  }
  if (m.body.empty() && m.attachments.empty()) return ack_ok(m.ack);
  NewMessage nm;
  nm.from = *account;
  nm.to = m.to;
  nm.body = m.body;
  nm.attachments = m.attachments;  // told as links to AIM, ICQ and MSN
  nm.origin_connector = m.connector;
  nm.origin_id = m.origin_id;
  nm.notify = m.from;
  nm.notify_from = m.to;
  nm.notify_origin = m.origin_id;
  nm.request_receipt = m.wants_receipt;
  nm.conv_local = *account;
  nm.conv_remote = m.to;
  nm.connector = connector_for(nm.from, nm.to);
  if (nm.connector.empty())
    return ack_with(m.ack, Error::transient(label + " is not connected on this bridge"));
  commit(std::move(nm), std::move(m.ack), t0);
}

// A contact writes to a linked AIM, ICQ or MSN account: to the person's XMPP client from
// the contact's puppet, and by SMS as well when the person is offline everywhere.
void Router::on_linked_message(InboundMessage& m, const Person& p) {
  const auto t0 = std::chrono::steady_clock::now();
  if (m.body.empty() && m.attachments.empty()) return ack_ok(m.ack);
  const Address home = directory_.home_of(p);
  const bool online = directory_.person_online(p);
  if (!online && p.sms_fallback && !p.phone.empty() && !sms_.opted_out(p.phone)) {
    // The SMS first, then the copy for the person's XMPP history; both answer to the
    // same conversation. The network is acknowledged once both are committed.
    auto copy = std::make_shared<InboundMessage>(m);
    AckFn original = std::move(m.ack);
    m.ack = [this, copy, home, original](Status st) {
      boost::asio::post(strand_, [this, copy, home, original, st] {
        if (!st.ok()) return ack_with(original, st);
        copy->ack = original;
        // The SMS carries the message and its receipts; if the person's server refuses
        // this copy (offline, no offline storage), the sender must not hear "not
        // delivered".
        deliver_home(*copy, home, /*report_failure=*/false);
      });
    };
    return on_account_sms(m, p, t0);
  }
  if (home.id.empty()) {
    spdlog::warn("router: {} has no XMPP address; message from {} kept nowhere", p.name,
                 m.from.str());
    return ack_with(m.ack, Error::missing(p.name + " cannot receive messages here"));
  }
  deliver_home(m, home);
}

void Router::deliver_home(InboundMessage& m, const Address& home, bool report_failure) {
  const auto t0 = std::chrono::steady_clock::now();
  if (home.id.empty()) return ack_ok(m.ack);
  NewMessage nm;
  nm.from = m.from;  // the contact's puppet
  nm.to = home;
  nm.body = m.body;
  nm.attachments = m.attachments;
  nm.origin_connector = m.connector;
  nm.origin_id = m.origin_id;
  if (report_failure) {
    nm.notify = m.from;
    nm.notify_from = m.to;
    nm.notify_origin = m.origin_id;
  }
  nm.conv_local = m.to;
  nm.conv_remote = m.from;
  nm.connector = connector_for(nm.from, nm.to);
  if (nm.connector.empty()) return ack_with(m.ack, Error::transient("XMPP is not connected"));
  commit(std::move(nm), std::move(m.ack), t0);
}

void Router::on_chat_state(const InboundChatState& c) {
  if ((c.from.network == Network::xmpp && c.to.network == Network::rcs) ||
      (c.from.network == Network::rcs && rcs_.is_bot(c.to)))
    return on_rcs_chat_state(c);
  if (c.from.network == Network::xmpp && is_legacy(c.to.network)) {
    // The user types to a puppet: through their linked account.
    const Person* p = directory_.person_of(c.from);
    const auto account = p ? directory_.account_on(*p, c.to.network) : std::nullopt;
    if (!account) return;
    if (Connector* conn = connectors_.find(connector_for(*account, c.to)))
      conn->send(OutboundChatState{*account, c.to, c.state});
    return;
  }
  if (directory_.is_gateway(c.to)) return on_gateway_chat_state(c);
  if (is_legacy(c.from.network) && directory_.is_account(c.to)) {
    // A contact types to a linked account: to the person's client, from the puppet.
    const Person* p = directory_.person_of(c.to);
    if (!p) return;
    const Address home = directory_.home_of(*p);
    if (home.id.empty()) return;
    if (Connector* conn = connectors_.find(connector_for(c.from, home)))
      conn->send(OutboundChatState{c.from, home, c.state});
  }
}

void Router::on_linked_presence(const InboundPresence& pr) {
  if (is_legacy(pr.who.network) && directory_.is_account(pr.observer)) {
    // A contact's presence as the linked account sees it: to the person's client.
    const Person* p = directory_.person_of(pr.observer);
    if (!p) return;
    const Address home = directory_.home_of(*p);
    if (home.id.empty()) return;
    // Remembered, so that the person's client gets it again when it comes online.
    auto& known = contact_presence_[pr.observer];
    if (is_online(pr.presence.state))
      known[pr.who] = pr.presence;
    else
      known.erase(pr.who);
    if (Connector* conn = connectors_.find(connector_for(pr.who, home)))
      conn->send(OutboundPresence{pr.who, home, pr.presence});
    return;
  }
  // A contact of a linked XMPP account coming online (client mode) only releases held
  // messages (on_presence); a person's own presence is what their server tells the component.
  const bool seen_by_linked_xmpp_account =
      pr.observer.network == Network::xmpp && directory_.is_account(pr.observer);
  if (pr.who.network != Network::xmpp || directory_.is_account(pr.who) ||
      seen_by_linked_xmpp_account)
    return;
  const Person* p = directory_.person_of(pr.who);
  if (!p || directory_.home_of(*p) != pr.who) return;
  // The person's own presence: it decides SMS fallback, and their linked accounts show it.
  const auto before = directory_.home_presence(pr.who);
  directory_.set_home_presence(pr.who, pr.presence.state);
  if (before && *before == pr.presence.state) return;
  spdlog::info("router: {} is {}", p->name,
               is_online(pr.presence.state) ? presence_state_name(pr.presence.state)
                                            : "offline (SMS fallback active)");
  if (is_online(pr.presence.state) && !(before && is_online(*before))) replay_presence(*p, pr.who);
  for (Network n : {Network::aim, Network::icq, Network::msn}) {
    auto account = directory_.account_on(*p, n);
    if (!account) continue;
    if (Connector* conn = connectors_.find(connector_for(*account, *account)))
      conn->send(OutboundPresence{*account, *account, pr.presence});
  }
}

void Router::on_subscription(const InboundSubscription& s) {
  if (s.from.network == Network::xmpp && is_legacy(s.to.network)) {
    // The user adds or removes a puppet: the linked account adds or removes the contact.
    const Person* p = directory_.person_of(s.from);
    const auto account = p ? directory_.account_on(*p, s.to.network) : std::nullopt;
    if (!account) return;
    if (Connector* conn = connectors_.find(connector_for(*account, s.to)))
      conn->send(OutboundSubscription{*account, s.to, s.action});
    return;
  }
  if (directory_.is_gateway(s.to)) {
    // A contact adds a gateway account: approved for those it serves, ignored for others.
    if (s.action != SubscriptionAction::subscribe || !directory_.gateway_allows(s.to, s.from))
      return;
    if (Connector* conn = connectors_.find(connector_for(s.to, s.from)))
      conn->send(OutboundSubscription{s.to, s.from, SubscriptionAction::subscribed});
    return;
  }
  if (is_legacy(s.from.network) && directory_.is_account(s.to)) {
    // A contact adds the linked account (ICQ authorisation request, MSN reverse list):
    // the person's client is asked, from the contact's puppet.
    const Person* p = directory_.person_of(s.to);
    if (!p) return;
    const Address home = directory_.home_of(*p);
    if (home.id.empty()) return;
    if (Connector* conn = connectors_.find(connector_for(s.from, home)))
      conn->send(OutboundSubscription{s.from, home, s.action});
  }
}

// A linked account's state shows as the gateway's presence in the person's client
// (XEP-0100): available when logged in, otherwise unavailable with the reason.
void Router::on_account_state(const AccountStateEvent& a) {
  spdlog::info("{}{}{}: {}{}{}", a.connector, a.account.empty() ? "" : " ", a.account,
               link_state_name(a.state), a.reason.empty() ? "" : ": ", a.reason);
  auto account = parse_address(a.account);
  if (!account.ok() || !is_legacy(account->network)) return;
  settle_registration(a, *account);
  const Person* p = directory_.person_of(*account);
  if (!p) return;
  const Address home = directory_.home_of(*p);
  if (home.id.empty()) return;
  const Address gateway{account->network, ""};
  Presence presence;
  presence.state = a.state == LinkState::up ? PresenceState::available : PresenceState::offline;
  // Up with a reason: something the network said while signed on (an AIM warning).
  presence.status =
      account->id + ": " +
      (a.state == LinkState::up ? "connected" : std::string(link_state_name(a.state))) +
      (a.reason.empty() ? "" : " (" + a.reason + ")");
  account_presence_[*account] = presence;
  if (Connector* conn = connectors_.find(connector_for(gateway, home)))
    conn->send(OutboundPresence{gateway, home, presence});
}

// The person's client just came online: it gets each linked account's state and the
// presence of every contact known to be online (sent while it was away, or before it
// subscribed to them, it would otherwise show them offline until their next change).
void Router::replay_presence(const Person& p, const Address& home) {
  Connector* xmpp = nullptr;
  for (Network n : {Network::aim, Network::icq, Network::msn}) {
    auto account = directory_.account_on(p, n);
    if (!account) continue;
    const Address gateway{n, ""};
    if (!xmpp) xmpp = connectors_.find(connector_for(gateway, home));
    if (!xmpp) return;
    if (auto it = account_presence_.find(*account); it != account_presence_.end())
      xmpp->send(OutboundPresence{gateway, home, it->second});
    if (auto it = contact_presence_.find(*account); it != contact_presence_.end())
      for (const auto& [contact, presence] : it->second)
        xmpp->send(OutboundPresence{contact, home, presence});
  }
}

// An MSN contact is offline (217): their phone gets the message when the person linked it
// to a [[people]] entry and the account allows it; the answer comes back into the chat.
std::optional<std::string> Router::rescue(const store::DeliveryRow& d, const DeliveryReport& r) {
  if (d.recipient.rfind("rcs:", 0) == 0) return rescue_rcs(d, r);
  if (!r.recipient_offline || d.kind != static_cast<int>(MessageKind::chat)) return std::nullopt;
  auto account = parse_address(d.sender);
  auto contact = parse_address(d.recipient);
  if (!account.ok() || !contact.ok() || !sms_to_offline_.count(*account)) return std::nullopt;
  const Person* them = directory_.person_of(*contact);
  const Person* owner = directory_.person_of(*account);
  if (!them || !owner || them->phone.empty() || !them->sms_fallback) return std::nullopt;
  auto notify = parse_address(d.notify);
  auto notify_from = parse_address(d.notify_from);
  if (!notify.ok() || !notify_from.ok()) return std::nullopt;
  NewMessage nm;
  nm.to = Address{Network::sms, them->phone};
  nm.body = "[" + std::string(network_label(account->network)) + "] " + account->id + ": " + d.body;
  nm.origin_connector = "outbox";
  nm.origin_id = d.id;                 // one rescue per delivery, even if the report comes twice
  nm.notify = *notify;                 // the person's client hears of the SMS's fate...
  nm.notify_from = *notify_from;       // ...from the contact's puppet, and the phone's answer
  nm.notify_origin = d.notify_origin;  // comes back as that puppet
  nm.request_receipt = d.request_receipt;
  nm.conv_local = *notify;
  nm.conv_remote = *notify_from;
  if (auto st = plan_sms(nm, owner->name); !st.ok()) {
    spdlog::info("router: {} is offline and cannot be reached by SMS: {}", contact->str(),
                 st.error().message);
    return std::nullopt;
  }
  nm.from =
      Address{Network::sms, sms_.choose_sender(them->phone, nm.notify_from.str(), nm.notify.str())};
  spdlog::info("router: {} is offline; message sent to their phone instead", contact->str());
  commit(std::move(nm), nullptr, std::chrono::steady_clock::now());
  return contact->str() + " was offline; sent to their phone by SMS instead";
}

}  // namespace passerelle
