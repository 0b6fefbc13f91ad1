#include "inbound.hpp"

#include <charconv>

namespace passerelle::xmpp {

std::optional<StanzaError> parse_error(const xml::Element& stanza) {
  const auto* err = stanza.child("error");
  if (!err) return std::nullopt;
  StanzaError e;
  e.type = err->attr_or("type", "cancel");
  for (const auto& c : err->children) {
    if (c.is_text()) continue;
    if (c.name == "text")
      e.text = c.inner_text();
    else if (e.condition.empty() && (c.ns().empty() || c.ns() == ns::stanzas))
      e.condition = c.name;
  }
  if (e.condition.empty()) e.condition = "undefined-condition";
  return e;
}

MessageStanza parse_message(const xml::Element& m) {
  MessageStanza s;
  s.from = m.attr_or("from");
  s.to = m.attr_or("to");
  s.id = m.attr_or("id");
  if (const auto* t = m.attr("type")) s.type = *t;
  if (s.type == "error") s.error = parse_error(m);
  for (const auto& c : m.children) {
    if (c.is_text()) continue;
    const std::string cns = c.ns();
    if (c.name == "body" && !s.body &&
        (cns.empty() || cns == "jabber:client" || cns == "jabber:component:accept")) {
      s.body = c.inner_text();
    } else if (cns == ns::receipts) {
      if (c.name == "request") s.wants_receipt = true;
      if (c.name == "received") s.receipt_for = c.attr_or("id");
    } else if (cns == ns::chatstates) {
      if (auto st = chat_state_from_name(c.name)) s.chat_state = st;
    } else if (cns == ns::oob && c.name == "x") {
      Attachment a;
      if (const auto* u = c.child("url")) a.url = u->inner_text();
      if (const auto* d = c.child("desc")) a.name = d->inner_text();
      if (!a.url.empty()) s.links.push_back(std::move(a));
    }
  }
  // XEP-0184 §5.4: no receipt requests on error or groupchat messages.
  if (s.type == "error" || s.type == "groupchat") s.wants_receipt = false;
  return s;
}

PresenceStanza parse_presence(const xml::Element& p) {
  PresenceStanza s;
  s.from = p.attr_or("from");
  s.to = p.attr_or("to");
  s.id = p.attr_or("id");
  s.type = p.attr_or("type");
  if (s.type.empty()) {
    s.presence.state = PresenceState::available;
    if (const auto* show = p.child("show")) {
      const std::string v = show->inner_text();
      if (v == "chat")
        s.presence.state = PresenceState::chatty;
      else if (v == "away")
        s.presence.state = PresenceState::away;
      else if (v == "xa")
        s.presence.state = PresenceState::xa;
      else if (v == "dnd")
        s.presence.state = PresenceState::busy;
    }
  } else {
    s.presence.state = PresenceState::offline;
  }
  if (const auto* st = p.child("status")) s.presence.status = st->inner_text();
  if (const auto* pr = p.child("priority")) {
    const std::string v = pr->inner_text();
    int value = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
    if (ec == std::errc() && ptr == v.data() + v.size() && value >= -128 && value <= 127)
      s.priority = value;
  }
  return s;
}

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// A field of the request: from the submitted data form when there is one (XEP-0077 §6:
// it takes precedence over the legacy fields), else the legacy element of that name.
std::string register_field(const xml::Element& query, std::string_view name) {
  if (const auto* x = query.child("x", ns::xdata)) {
    for (const auto& f : x->children) {
      if (f.is_text() || f.name != "field" || f.attr_or("var") != name) continue;
      if (const auto* v = f.child("value")) return v->inner_text();
    }
    return {};
  }
  if (const auto* e = query.child(name)) return e->inner_text();
  return {};
}

}  // namespace

RegisterRequest parse_register(const xml::Element& iq, bool account_gateway) {
  RegisterRequest r;
  const auto* q = iq.child("query", ns::reg);
  if (!q) {
    r.problem = "no <query xmlns='jabber:iq:register'/>";
    return r;
  }
  const std::string type = iq.attr_or("type");
  if (type == "get") {
    r.kind = RegisterRequest::Kind::form;
    return r;
  }
  if (type != "set") {
    r.problem = "registration requests are get or set";
    return r;
  }
  if (q->child("remove")) {
    r.kind = RegisterRequest::Kind::remove;
    return r;
  }
  if (account_gateway) {
    r.username = trim(register_field(*q, "username"));
    r.password = register_field(*q, "password");
    if (r.username.empty()) {
      r.problem = "the account is required (the <username/> field)";
      return r;
    }
    if (r.password.empty()) {
      r.problem = "the password is required (the <password/> field)";
      return r;
    }
    r.kind = RegisterRequest::Kind::set_account;
    return r;
  }
  r.phone = trim(register_field(*q, "phone"));
  if (r.phone.empty()) {
    r.problem = "a phone number is required (the <phone/> field)";
    return r;
  }
  r.kind = RegisterRequest::Kind::set_phone;
  return r;
}

xml::Element register_form(std::string_view instructions, std::string_view current_phone) {
  xml::Element q("query", ns::reg);
  q.add_text_child("instructions", std::string(instructions));
  q.add_text_child("phone", std::string(current_phone));
  auto& x = q.add(xml::Element("x", ns::xdata));
  x.set("type", "form");
  x.add_text_child("title", "passerelle registration");
  x.add_text_child("instructions", std::string(instructions));
  auto& f = x.add(xml::Element("field"));
  f.set("type", "text-single").set("var", "phone").set("label", "Phone number");
  if (!current_phone.empty()) f.add_text_child("value", std::string(current_phone));
  f.add(xml::Element("required"));
  return q;
}

xml::Element register_account_form(std::string_view instructions, std::string_view account_label) {
  xml::Element q("query", ns::reg);
  q.add_text_child("instructions", std::string(instructions));
  q.add(xml::Element("username"));
  q.add(xml::Element("password"));
  auto& x = q.add(xml::Element("x", ns::xdata));
  x.set("type", "form");
  x.add_text_child("title", "passerelle: link your " + std::string(account_label));
  x.add_text_child("instructions", std::string(instructions));
  auto& user = x.add(xml::Element("field"));
  user.set("type", "text-single").set("var", "username").set("label", account_label);
  user.add(xml::Element("required"));
  auto& pass = x.add(xml::Element("field"));
  pass.set("type", "text-private").set("var", "password").set("label", "Password");
  pass.add(xml::Element("required"));
  return q;
}

std::optional<DeliveryReport> bounce_report(const std::string& connector,
                                            const MessageStanza& msg) {
  if (msg.id.empty()) return std::nullopt;
  DeliveryReport r;
  r.connector = connector;
  r.network_id = msg.id;
  r.state = DeliveryState::failed;
  r.reason = msg.error
                 ? msg.error->condition + (msg.error->text.empty() ? "" : ": " + msg.error->text)
                 : "error";
  // "wait", and the conditions a server gives for a user who is offline and for whom it
  // keeps nothing (RFC 6121 §8.5.2.1.1, §8.5.3.2.1): the same message may go through later.
  r.retryable =
      msg.error && (msg.error->type == "wait" || msg.error->condition == "service-unavailable" ||
                    msg.error->condition == "recipient-unavailable");
  return r;
}

}  // namespace passerelle::xmpp
