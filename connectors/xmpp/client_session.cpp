#include "client_session.hpp"

#include <spdlog/spdlog.h>

#include "inbound.hpp"
#include "stanza.hpp"

namespace passerelle::xmpp {

ClientSession::ClientSession(ClientOptions opts, SessionEnv env)
    : opts_(std::move(opts)), env_(std::move(env)) {
  Jid bare = opts_.account;
  bare.resource.clear();
  bare_ = bare.bare();
  for (auto& c : bare_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

void ClientSession::on_up(Clock::time_point now) {
  online_ = true;
  others_.clear();
  contacts_online_.clear();
  settled_ = false;
  sent_priority_.reset();
  const Presence available{PresenceState::available, {}, Device::unknown, 0};
  env_.send(presence({}, {}, available, -1));
  sent_priority_ = -1;
  settle_id_ = env_.next_id();
  xml::Element iq("iq");
  iq.set("type", "get").set("id", settle_id_).set("to", opts_.account.domain);
  iq.add(xml::Element("ping", ns::ping));
  env_.send(iq);
  settle_deadline_ = now + opts_.settle;
}

void ClientSession::on_down() {
  online_ = false;
  settled_ = false;
  others_.clear();
  contacts_online_.clear();  // the server sends them all again after the next login
  sent_priority_.reset();
  settle_id_.clear();
  // What we knew about the other resources is void until we are back; say nothing
  // rather than guess (the core keeps the last report).
}

void ClientSession::tick(Clock::time_point now) {
  if (online_ && !settled_ && now >= settle_deadline_) settle();
}

ClientSession::Clock::time_point ClientSession::next_deadline() const {
  return online_ && !settled_ ? settle_deadline_ : Clock::time_point::max();
}

void ClientSession::settle() {
  settled_ = true;
  settle_id_.clear();
  apply();
}

void ClientSession::apply() {
  if (!online_ || !settled_) return;
  const bool others = others_online();
  const int want = others ? -1 : 0;
  if (sent_priority_ != want) {
    const Presence available{PresenceState::available, {}, Device::unknown, 0};
    env_.send(presence({}, {}, available, want));
    sent_priority_ = want;
    spdlog::info("[xmpp-client] {}: {} other client(s) online, priority {}", bare_, others_.size(),
                 want);
  }
  if (reported_ != others) {
    reported_ = others;
    InboundPresence ip;
    ip.connector = opts_.connector_name;
    ip.who = address();
    ip.observer = address();
    ip.presence.state = others ? PresenceState::available : PresenceState::offline;
    env_.publish(std::move(ip));
  }
}

void ClientSession::on_stanza(const xml::Element& s) {
  if (s.name == "message")
    on_message(s);
  else if (s.name == "presence")
    on_presence(s);
  else if (s.name == "iq")
    on_iq(s);
}

void ClientSession::on_presence(const xml::Element& p) {
  const PresenceStanza pr = parse_presence(p);
  const auto from = parse_jid(pr.from);
  if (!from || from->resource.empty()) return;
  Jid fb = *from;
  fb.resource.clear();
  std::string fbare = fb.bare();
  for (auto& c : fbare) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (fbare != bare_) {
    // A contact is back (their first client online): messages that bounced while they
    // were offline can go now. Only that reaches the router, once per return, not per
    // status change; the contacts' presence is not ours to relay anywhere.
    if (!pr.type.empty()) {
      if (pr.type == "unavailable" || pr.type == "error") {
        auto it = contacts_online_.find(fbare);
        if (it != contacts_online_.end() && it->second.erase(from->resource) && it->second.empty())
          contacts_online_.erase(it);
      }
      return;
    }
    auto& resources = contacts_online_[fbare];
    const bool back = resources.empty();
    resources.insert(from->resource);
    if (back)
      if (auto contact = make_address(Network::xmpp, fbare)) {
        InboundPresence ip;
        ip.connector = opts_.connector_name;
        ip.who = *contact;
        ip.observer = address();
        ip.presence.state = PresenceState::available;
        env_.publish(std::move(ip));
      }
    return;
  }
  if (from->resource == opts_.account.resource) return;  // our own, reflected
  if (pr.type.empty() && pr.priority >= 0)
    others_.insert(from->resource);
  else if (pr.type.empty() || pr.type == "unavailable" || pr.type == "error")
    others_.erase(from->resource);
  else
    return;
  apply();
}

void ClientSession::on_message(const xml::Element& m) {
  MessageStanza msg = parse_message(m);
  if (msg.type == "error") {
    if (auto r = bounce_report(opts_.connector_name, msg)) env_.publish(std::move(*r));
    return;
  }
  if (msg.type == "groupchat" || msg.type == "headline") return;
  const auto from = parse_jid(msg.from);
  if (!from) return;
  const auto sender = make_address(Network::xmpp, from->bare());
  if (!sender || sender->id == bare_) return;  // nothing from the account itself (no carbons)

  if (!msg.receipt_for.empty()) {
    DeliveryReport r;
    r.connector = opts_.connector_name;
    r.network_id = msg.receipt_for;
    r.state = DeliveryState::delivered;
    env_.publish(std::move(r));
  }
  if (msg.body) {
    InboundMessage in;
    in.connector = opts_.connector_name;
    in.from = *sender;
    in.to = address();
    in.body = *msg.body;
    in.attachments = std::move(msg.links);
    in.origin_id = msg.id;
    in.wants_receipt = msg.wants_receipt;
    in.received_ms = env_.now_ms ? env_.now_ms() : 0;
    const std::string who = bare_;
    in.ack = make_ack(env_, [who](Status st) {
      // Nothing visible on refusal: the person's own clients did not see the message
      // either way, and an error from their account would confuse the sender.
      if (!st.ok())
        spdlog::debug("[xmpp-client] {}: message refused by the core: {}", who, st.error().message);
    });
    env_.publish(std::move(in));
  } else if (msg.chat_state) {
    InboundChatState cs;
    cs.connector = opts_.connector_name;
    cs.from = *sender;
    cs.to = address();
    cs.state = *msg.chat_state;
    env_.publish(std::move(cs));
  }
}

void ClientSession::on_iq(const xml::Element& iq) {
  const std::string type = iq.attr_or("type");
  if (type == "result" || type == "error") {
    if (!settle_id_.empty() && iq.attr_or("id") == settle_id_) settle();
    return;
  }
  if (type != "get" && type != "set") return;
  const xml::Element* payload = nullptr;
  for (const auto& c : iq.children)
    if (!c.is_text()) {
      payload = &c;
      break;
    }
  const std::string pns = payload ? payload->ns() : std::string();
  if (type == "get" && pns == ns::ping) {
    env_.send(iq_result(iq));
  } else if (type == "get" && pns == ns::disco_info && !payload->attr("node")) {
    xml::Element q("query", ns::disco_info);
    q.add(xml::Element("identity"))
        .set("category", "client")
        .set("type", "bot")
        .set("name", "passerelle");
    for (auto f : {ns::disco_info, ns::receipts, ns::chatstates, ns::ping})
      q.add(xml::Element("feature")).set("var", f);
    env_.send(iq_result(iq, std::move(q)));
  } else if (type == "set" && pns == "jabber:iq:roster") {
    // RFC 6121 §2.1.6: a roster push is acknowledged; only the server may send one.
    const std::string from = iq.attr_or("from");
    if (from.empty() || from == bare_)
      env_.send(iq_result(iq));
    else
      env_.send(iq_error(iq, service_unavailable()));
  } else {
    env_.send(iq_error(iq, service_unavailable()));
  }
}

Result<std::string> ClientSession::send(const OutboundEvent& event) {
  return std::visit(
      [&](const auto& ev) -> Result<std::string> {
        using T = std::decay_t<decltype(ev)>;
        if (ev.from != address())
          return Error::invalid(ev.from.str() + " is not the account " + bare_);
        if (ev.to.network != Network::xmpp)
          return Error::invalid(ev.to.str() + " is not an XMPP address");
        if (!parse_jid(ev.to.id)) return Error::invalid("'" + ev.to.id + "' is not a valid JID");
        if (!online_) return Error::transient(bare_ + " is not logged in");
        const std::string& to = ev.to.id;
        if constexpr (std::is_same_v<T, OutboundMessage>) {
          const std::string id = env_.next_id();
          env_.send(chat_message({}, to, id, ev.body, ev.request_receipt, ev.attachments));
          return id;
        } else if constexpr (std::is_same_v<T, OutboundReceipt>) {
          const std::string id = env_.next_id();
          env_.send(receipt({}, to, id, ev.origin_id));
          return id;
        } else if constexpr (std::is_same_v<T, OutboundError>) {
          env_.send(message_error({}, to, ev.origin_id, stanza_error_for(ev.error)));
          return ev.origin_id;
        } else if constexpr (std::is_same_v<T, OutboundChatState>) {
          env_.send(chat_state_message({}, to, ev.state));
          return std::string();
        } else if constexpr (std::is_same_v<T, OutboundPresence>) {
          // The account's own presence belongs to its owner's clients.
          return Error::invalid("client mode does not send presence on the person's behalf");
        } else {
          static_assert(std::is_same_v<T, OutboundSubscription>);
          env_.send(subscription({}, to, ev.action));
          return std::string();
        }
      },
      event);
}

}  // namespace passerelle::xmpp
