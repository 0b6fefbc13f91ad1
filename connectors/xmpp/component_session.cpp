#include "component_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "inbound.hpp"
#include "stanza.hpp"

namespace passerelle::xmpp {
namespace {

std::string_view gateway_type(Network n) {
  switch (n) {
    case Network::sms:
    case Network::rcs:
      return "sms";
    case Network::aim:
      return "aim";
    case Network::icq:
      return "icq";
    case Network::msn:
      return "msn";
    case Network::xmpp:
      return "xmpp";
  }
  return "sms";
}

std::string_view prompt_label(Network n) {
  switch (n) {
    case Network::sms:
    case Network::rcs:
      return "Phone number";
    case Network::aim:
      return "Screen name";
    case Network::icq:
      return "ICQ number";
    case Network::msn:
      return "MSN address";
    case Network::xmpp:
      return "JID";
  }
  return "Address";
}

xml::Element disco_info(std::string_view category, std::string_view type, std::string_view name,
                        std::initializer_list<std::string_view> features) {
  xml::Element q("query", ns::disco_info);
  auto& id = q.add(xml::Element("identity"));
  id.set("category", category).set("type", type).set("name", name);
  for (auto f : features) q.add(xml::Element("feature")).set("var", f);
  return q;
}

}  // namespace

ComponentSession::ComponentSession(ComponentOptions opts, SessionEnv env)
    : opts_(std::move(opts)), env_(std::move(env)), domain_(opts_.map->domain_of(opts_.network)) {}

bool ComponentSession::allowed(const Jid& user) const {
  const std::string bare = Jid{user.local, user.domain, {}}.bare();
  std::string lower_bare = bare;
  std::transform(lower_bare.begin(), lower_bare.end(), lower_bare.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& j : opts_.access.allow_jids)
    if (j == lower_bare) return true;
  for (const auto& d : opts_.access.allow_domains)
    if (d == user.domain) return true;
  return false;
}

bool ComponentSession::always_reachable() const {
  return opts_.network == Network::sms || opts_.network == Network::rcs;
}

void ComponentSession::on_stanza(const xml::Element& s) {
  if (s.name == "message")
    on_message(s);
  else if (s.name == "presence")
    on_presence(s);
  else if (s.name == "iq")
    on_iq(s);
}

// ---- messages --------------------------------------------------------------------------

void ComponentSession::on_message(const xml::Element& m) {
  MessageStanza msg = parse_message(m);
  if (msg.type == "error") {
    // A bounce of something we sent (RFC 6120 §8.3.1: never answer an error).
    if (auto r = bounce_report(opts_.connector_name, msg)) env_.publish(std::move(*r));
    return;
  }
  if (msg.type == "groupchat" || msg.type == "headline")
    return;  // no rooms yet; headlines need no answer

  const auto from = parse_jid(msg.from);
  if (!from) return;  // the server stamps from; garbage here is not ours to answer
  const auto user = make_address(Network::xmpp, from->bare());
  if (!user) return;

  if (!msg.receipt_for.empty()) {
    DeliveryReport r;
    r.connector = opts_.connector_name;
    r.network_id = msg.receipt_for;
    r.state = DeliveryState::delivered;
    env_.publish(std::move(r));
  }
  if (!msg.body && !msg.chat_state) return;

  const auto to_jid = parse_jid(msg.to);
  Result<Address> to = to_jid
                           ? opts_.map->to_address(*to_jid)
                           : Result<Address>(Error::invalid("'" + msg.to + "' is not a valid JID"));
  if (to && to_jid->local.empty())
    to = Error::invalid("write to an address on " + domain_ + ", e.g. +33611111111@" + domain_);
  if (to && to->network != opts_.network)
    to = Error::invalid("'" + msg.to + "' is not an address on " + domain_);
  if (!to) {
    if (msg.body) env_.send(error_reply(m, jid_malformed(to.error().message)));
    return;
  }

  if (!msg.body) {
    InboundChatState cs;
    cs.connector = opts_.connector_name;
    cs.from = *user;
    cs.to = *to;
    cs.state = *msg.chat_state;
    env_.publish(std::move(cs));
    return;
  }

  InboundMessage in;
  in.connector = opts_.connector_name;
  in.from = *user;
  in.to = *to;
  in.body = *msg.body;
  in.attachments = std::move(msg.links);
  in.origin_id = msg.id;
  in.wants_receipt = msg.wants_receipt;
  in.received_ms = env_.now_ms ? env_.now_ms() : 0;
  if (!msg.id.empty()) remember_sender(user->id, msg.id, from->full());
  // On refusal, the stanza error goes back to the very resource that wrote.
  const std::string puppet = to_jid->bare();
  const std::string sender = from->full();
  const std::string origin = msg.id;
  auto send = env_.send;
  in.ack = make_ack(env_, [send, puppet, sender, origin](Status st) {
    if (st.ok()) return;  // receipts come from the router once delivered
    send(message_error(puppet, sender, origin, stanza_error_for(st.error())));
  });
  env_.publish(std::move(in));
}

void ComponentSession::remember_sender(const std::string& user_bare, const std::string& origin_id,
                                       const std::string& full) {
  auto key = std::make_pair(user_bare, origin_id);
  if (senders_.insert_or_assign(key, full).second) senders_order_.push_back(std::move(key));
  while (senders_order_.size() > kSendersKept) {
    senders_.erase(senders_order_.front());
    senders_order_.pop_front();
  }
}

std::string ComponentSession::sender_of(const std::string& user_bare,
                                        const std::string& origin_id) const {
  auto it = senders_.find({user_bare, origin_id});
  return it == senders_.end() ? std::string() : it->second;
}

// ---- presence --------------------------------------------------------------------------

void ComponentSession::on_presence(const xml::Element& p) {
  PresenceStanza pr = parse_presence(p);
  if (pr.type == "error") return;
  const auto from = parse_jid(pr.from);
  if (!from) return;
  const auto user = make_address(Network::xmpp, from->bare());
  if (!user) return;
  const auto to_jid = parse_jid(pr.to);
  Result<Address> to = to_jid
                           ? opts_.map->to_address(*to_jid)
                           : Result<Address>(Error::invalid("'" + pr.to + "' is not a valid JID"));
  const bool to_domain = to_jid && to_jid->local.empty() && to_jid->domain == domain_;
  if (!to_domain && (!to || to->network != opts_.network)) {
    if (pr.type == "probe" || pr.type == "subscribe")
      env_.send(
          error_reply(p, jid_malformed(to ? "not an address on " + domain_ : to.error().message)));
    return;
  }
  const std::string me = to_domain ? domain_ : to_jid->bare();
  const std::string them = from->bare();
  const Presence available{PresenceState::available, {}, Device::mobile, 0};

  // On sms./rcs. the gateway and its puppets are always there; on aim./icq./msn. the
  // gateway's presence is the linked account's state, which the router sends.
  const bool answer_presence = always_reachable();
  if (pr.type == "probe") {
    if (answer_presence) env_.send(presence(me, them, available));
    return;
  }
  auto publish_sub = [&](SubscriptionAction a) {
    if (to_domain) return;
    InboundSubscription s;
    s.connector = opts_.connector_name;
    s.from = *user;
    s.to = *to;
    s.action = a;
    env_.publish(std::move(s));
  };
  if (pr.type == "subscribe") {
    if (!allowed(*from)) {
      env_.send(subscription(me, them, SubscriptionAction::unsubscribed));
      return;
    }
    publish_sub(SubscriptionAction::subscribe);
    // RFC 6121 §3.1.3 auto-approval, then ask back so the user's roster shows both ways.
    env_.send(subscription(me, them, SubscriptionAction::subscribed));
    env_.send(subscription(me, them, SubscriptionAction::subscribe));
    if (answer_presence) env_.send(presence(me, them, available));
    return;
  }
  if (pr.type == "subscribed") {
    publish_sub(SubscriptionAction::subscribed);
    return;
  }
  if (pr.type == "unsubscribe") {
    publish_sub(SubscriptionAction::unsubscribe);
    env_.send(subscription(me, them, SubscriptionAction::unsubscribed));
    return;
  }
  if (pr.type == "unsubscribed") {
    publish_sub(SubscriptionAction::unsubscribed);
    return;
  }
  if (!pr.type.empty() && pr.type != "unavailable") return;
  // Available / unavailable: the user's own presence, directed or broadcast to us. One
  // resource going away while another stays is not the user going offline: the core
  // hears the best presence of their resources, and offline only when the last one goes.
  InboundPresence ip;
  ip.connector = opts_.connector_name;
  ip.who = *user;
  ip.observer = to_domain ? Address{Network::xmpp, domain_} : *to;
  ip.presence = user_presence(ip.observer.str() + '\n' + them, from->resource, pr);
  env_.publish(std::move(ip));
  // An available user gets the puppet's presence back (the server may not probe).
  if (pr.type.empty() && answer_presence) env_.send(presence(me, pr.from, available));
}

Presence ComponentSession::user_presence(const std::string& key, const std::string& resource,
                                         const PresenceStanza& pr) {
  auto it = resources_.find(key);
  if (pr.type == "unavailable") {
    if (it != resources_.end()) {
      it->second.erase(resource);
      if (it->second.empty()) resources_.erase(it);
    }
  } else {
    if (it == resources_.end()) {
      if (resources_.size() >= kUsersTracked) return pr.presence;  // not tracked: as is
      it = resources_.emplace(key, std::map<std::string, Presence>{}).first;
    }
    if (it->second.size() < kResourcesPerUser || it->second.count(resource))
      it->second[resource] = pr.presence;
  }
  it = resources_.find(key);
  if (it == resources_.end()) return pr.presence;  // the last one left: offline as sent
  const Presence* best = nullptr;
  for (const auto& [res, p] : it->second)
    if (!best || availability_rank(p.state) > availability_rank(best->state)) best = &p;
  return *best;
}

// ---- iq --------------------------------------------------------------------------------

xml::Element ComponentSession::domain_info() const {
  std::string name = "passerelle ";
  name += network_label(opts_.network);
  name += " gateway";
  return disco_info("gateway", gateway_type(opts_.network), name,
                    {ns::disco_info, ns::disco_items, ns::reg, ns::gateway, ns::receipts,
                     ns::chatstates, ns::ping});
}

xml::Element ComponentSession::puppet_info() const {
  return disco_info("client", always_reachable() ? "phone" : "pc", "passerelle contact",
                    {ns::disco_info, ns::receipts, ns::chatstates});
}

void ComponentSession::on_iq(const xml::Element& iq) {
  const std::string type = iq.attr_or("type");
  if (type != "get" && type != "set") return;  // results and errors need no answer
  const xml::Element* payload = nullptr;
  for (const auto& c : iq.children)
    if (!c.is_text()) {
      payload = &c;
      break;
    }
  const auto from = parse_jid(iq.attr_or("from"));
  const auto to = parse_jid(iq.attr_or("to"));
  if (!payload) {
    env_.send(iq_error(iq, bad_request("an iq get/set carries exactly one child")));
    return;
  }
  if (!from || !to) {
    env_.send(iq_error(iq, jid_malformed("bad from or to")));
    return;
  }
  const std::string pns = payload->ns();
  if (to->local.empty()) {
    on_domain_iq(iq, *from, type, payload);
    return;
  }
  // A puppet.
  const auto addr = opts_.map->to_address(*to);
  if (!addr) {
    env_.send(iq_error(iq, jid_malformed(addr.error().message)));
    return;
  }
  if (type == "get" && pns == ns::disco_info && !payload->attr("node")) {
    env_.send(iq_result(iq, puppet_info()));
  } else if (type == "get" && pns == ns::disco_items) {
    env_.send(iq_result(iq, xml::Element("query", ns::disco_items)));
  } else if (type == "get" && pns == ns::ping) {
    env_.send(iq_result(iq));
  } else {
    env_.send(iq_error(iq, service_unavailable()));
  }
}

void ComponentSession::on_domain_iq(const xml::Element& iq, const Jid& from,
                                    const std::string& type, const xml::Element* payload) {
  const std::string pns = payload->ns();
  if (pns == ns::disco_info && type == "get") {
    if (payload->attr("node"))
      env_.send(iq_error(iq, {"cancel", "item-not-found", {}}));
    else
      env_.send(iq_result(iq, domain_info()));
  } else if (pns == ns::disco_items && type == "get") {
    env_.send(iq_result(iq, xml::Element("query", ns::disco_items)));
  } else if (pns == ns::ping && type == "get") {
    env_.send(iq_result(iq));
  } else if (pns == ns::reg) {
    on_register(iq, from);
  } else if (pns == ns::gateway) {
    on_gateway(iq, type, *payload);
  } else if (pns == ns::version && type == "get") {
    xml::Element q("query", ns::version);
    q.add_text_child("name", "passerelle");
    env_.send(iq_result(iq, std::move(q)));
  } else {
    env_.send(iq_error(iq, service_unavailable()));
  }
}

void ComponentSession::on_register(const xml::Element& iq, const Jid& from) {
  const auto user = make_address(Network::xmpp, from.bare());
  if (!user) {
    env_.send(iq_error(iq, jid_malformed(user.error().message)));
    return;
  }
  const bool account_gateway = !always_reachable();
  RegisterRequest req = parse_register(iq, account_gateway);
  switch (req.kind) {
    case RegisterRequest::Kind::form:
      if (account_gateway)
        env_.send(iq_result(
            iq, register_account_form("Enter your " + std::string(prompt_label(opts_.network)) +
                                          " and its password: passerelle signs on for you and "
                                          "your contacts appear here. Unregister to unlink it.",
                                      prompt_label(opts_.network))));
      else
        env_.send(
            iq_result(iq, register_form("Enter the phone number (with +country code) that should "
                                        "receive your messages by SMS while you are offline.")));
      return;
    case RegisterRequest::Kind::bad:
      env_.send(iq_error(iq, bad_request(req.problem)));
      return;
    case RegisterRequest::Kind::set_phone:
    case RegisterRequest::Kind::set_account:
    case RegisterRequest::Kind::remove:
      break;
  }
  Registration r;
  r.connector = opts_.connector_name;
  r.user = *user;
  r.network = opts_.network;
  r.phone = std::move(req.phone);
  r.login = std::move(req.username);
  r.password = std::move(req.password);
  r.remove = req.kind == RegisterRequest::Kind::remove;
  auto send = env_.send;
  const xml::Element request = iq;
  // XEP-0100 §4.1.1 and §4.3: after linking an account the gateway asks to be in the
  // user's roster (its presence is the account's state); after unlinking it leaves.
  const bool linking = req.kind == RegisterRequest::Kind::set_account;
  const bool unlinking = account_gateway && req.kind == RegisterRequest::Kind::remove;
  r.ack = make_ack(
      env_, [send, request, linking, unlinking, me = domain_, them = from.bare()](Status st) {
        if (!st.ok()) return send(iq_error(request, stanza_error_for(st.error())));
        send(iq_result(request));
        if (linking) send(subscription(me, them, SubscriptionAction::subscribe));
        if (unlinking) {
          send(subscription(me, them, SubscriptionAction::unsubscribe));
          send(subscription(me, them, SubscriptionAction::unsubscribed));
        }
      });
  env_.publish(std::move(r));
}

// XEP-0100 §6.3 / XEP-0100-era jabber:iq:gateway: translate what the user typed into
// the puppet JID.
void ComponentSession::on_gateway(const xml::Element& iq, const std::string& type,
                                  const xml::Element& query) {
  if (type == "get") {
    xml::Element q("query", ns::gateway);
    q.add_text_child("desc",
                     "Enter the " + std::string(prompt_label(opts_.network)) + " of the contact.");
    q.add_text_child("prompt", std::string(prompt_label(opts_.network)));
    env_.send(iq_result(iq, std::move(q)));
    return;
  }
  const auto* prompt = query.child("prompt");
  const std::string local =
      prompt ? prompt_to_localpart(opts_.network, prompt->inner_text()) : std::string();
  if (local.empty()) {
    env_.send(iq_error(iq, bad_request("a <prompt/> with the contact's address is required")));
    return;
  }
  xml::Element q("query", ns::gateway);
  q.add_text_child("jid", local + "@" + domain_);
  env_.send(iq_result(iq, std::move(q)));
}

// ---- outbound --------------------------------------------------------------------------

Result<std::string> ComponentSession::send(const OutboundEvent& event) {
  auto jids = [&](const Address& from,
                  const Address& to) -> Result<std::pair<std::string, std::string>> {
    if (from.network != opts_.network)
      return Error::invalid("sender " + from.str() + " is not on " + domain_);
    if (to.network != Network::xmpp)
      return Error::invalid("recipient " + to.str() + " is not an XMPP address");
    auto f = opts_.map->to_jid(from);
    if (!f) return f.error();
    auto t = opts_.map->to_jid(to);
    if (!t) return t.error();
    return std::pair{*f, *t};
  };
  return std::visit(
      [&](const auto& ev) -> Result<std::string> {
        using T = std::decay_t<decltype(ev)>;
        auto j = jids(ev.from, ev.to);
        if (!j) return j.error();
        const auto& [from, to] = *j;
        if constexpr (std::is_same_v<T, OutboundMessage>) {
          const std::string id = env_.next_id();
          env_.send(chat_message(from, to, id, ev.body, ev.request_receipt, ev.attachments));
          return id;
        } else if constexpr (std::is_same_v<T, OutboundReceipt>) {
          const std::string id = env_.next_id();
          const std::string full = sender_of(ev.to.id, ev.origin_id);
          env_.send(receipt(from, full.empty() ? to : full, id, ev.origin_id));
          return id;
        } else if constexpr (std::is_same_v<T, OutboundError>) {
          const std::string full = sender_of(ev.to.id, ev.origin_id);
          if (!full.empty()) {
            env_.send(message_error(from, full, ev.origin_id, stanza_error_for(ev.error)));
          } else {
            // The server drops an error to a bare JID: say it in words instead.
            const std::string id = env_.next_id();
            env_.send(chat_message(from, to, id, "[not delivered] " + ev.error.message, false));
          }
          return ev.origin_id;
        } else if constexpr (std::is_same_v<T, OutboundChatState>) {
          env_.send(chat_state_message(from, to, ev.state));
          return std::string();
        } else if constexpr (std::is_same_v<T, OutboundPresence>) {
          env_.send(presence(from, to, ev.presence));
          return std::string();
        } else {
          static_assert(std::is_same_v<T, OutboundSubscription>);
          env_.send(subscription(from, to, ev.action));
          return std::string();
        }
      },
      event);
}

}  // namespace passerelle::xmpp
