#include "stanza.hpp"

namespace passerelle::xmpp {

StanzaError stanza_error_for(const Error& e) {
  switch (e.code) {
    case Errc::invalid_input:
      return {"modify", "bad-request", e.message};
    case Errc::not_allowed:
      return {"auth", "forbidden", e.message};
    case Errc::limit_exceeded:
      return e.retryable ? StanzaError{"wait", "resource-constraint", e.message}
                         : StanzaError{"modify", "policy-violation", e.message};
    case Errc::not_found:
      return {"cancel", "item-not-found", e.message};
    case Errc::unavailable:
      return {"wait", "remote-server-timeout", e.message};
    case Errc::unknown_outcome:
      return {"wait", "undefined-condition", e.message};
    case Errc::internal:
      return {"cancel", "internal-server-error", e.message};
  }
  return {"cancel", "internal-server-error", e.message};
}

StanzaError jid_malformed(std::string text) {
  return {"modify", "jid-malformed", std::move(text)};
}
StanzaError service_unavailable(std::string text) {
  return {"cancel", "service-unavailable", std::move(text)};
}
StanzaError bad_request(std::string text) {
  return {"modify", "bad-request", std::move(text)};
}

std::string_view chat_state_name(ChatState s) {
  switch (s) {
    case ChatState::active:
      return "active";
    case ChatState::composing:
      return "composing";
    case ChatState::paused:
      return "paused";
    case ChatState::inactive:
      return "inactive";
    case ChatState::gone:
      return "gone";
  }
  return "active";
}

std::optional<ChatState> chat_state_from_name(std::string_view name) {
  for (ChatState s : {ChatState::active, ChatState::composing, ChatState::paused,
                      ChatState::inactive, ChatState::gone})
    if (chat_state_name(s) == name) return s;
  return std::nullopt;
}

xml::Element error_element(const StanzaError& e) {
  xml::Element err("error");
  err.set("type", e.type);
  err.add(xml::Element(e.condition, ns::stanzas));
  if (!e.text.empty()) err.add_text_child("text", e.text, ns::stanzas);
  return err;
}

namespace {
xml::Element message_base(std::string_view from, std::string_view to, std::string_view type,
                          std::string_view id) {
  xml::Element m("message");
  m.set("from", from).set("to", to).set("type", type).set("id", id);
  return m;
}
}  // namespace

xml::Element chat_message(std::string_view from, std::string_view to, std::string_view id,
                          std::string_view body, bool request_receipt,
                          const std::vector<Attachment>& attachments) {
  xml::Element m = message_base(from, to, "chat", id);
  std::string text(body);
  for (const auto& a : attachments) {
    if (a.url.empty() || text.find(a.url) != std::string::npos) continue;
    if (!text.empty()) text += '\n';
    text += a.url;
  }
  m.add_text_child("body", text);
  for (const auto& a : attachments) {
    if (a.url.empty()) continue;
    auto& x = m.add(xml::Element("x", ns::oob));
    x.add_text_child("url", a.url);
    if (!a.name.empty()) x.add_text_child("desc", a.name);
  }
  if (request_receipt) m.add(xml::Element("request", ns::receipts));
  return m;
}

xml::Element receipt(std::string_view from, std::string_view to, std::string_view id,
                     std::string_view origin_id) {
  xml::Element m = message_base(from, to, {}, id);
  m.add(xml::Element("received", ns::receipts)).set("id", origin_id);
  return m;
}

xml::Element message_error(std::string_view from, std::string_view to, std::string_view origin_id,
                           const StanzaError& e) {
  xml::Element m = message_base(from, to, "error", origin_id);
  m.add(error_element(e));
  return m;
}

xml::Element chat_state_message(std::string_view from, std::string_view to, ChatState s) {
  xml::Element m = message_base(from, to, "chat", {});
  m.add(xml::Element(std::string(chat_state_name(s)), ns::chatstates));
  m.add(xml::Element("no-store", ns::hints));
  return m;
}

xml::Element presence(std::string_view from, std::string_view to, const Presence& p,
                      std::optional<int> priority) {
  xml::Element pr("presence");
  pr.set("from", from).set("to", to);
  switch (p.state) {
    case PresenceState::offline:
    case PresenceState::invisible:
      pr.set("type", "unavailable");
      break;
    case PresenceState::available:
      break;
    case PresenceState::chatty:
      pr.add_text_child("show", "chat");
      break;
    case PresenceState::away:
      pr.add_text_child("show", "away");
      break;
    case PresenceState::xa:
      pr.add_text_child("show", "xa");
      break;
    case PresenceState::busy:
      pr.add_text_child("show", "dnd");
      break;
  }
  if (!p.status.empty()) pr.add_text_child("status", p.status);
  if (priority) pr.add_text_child("priority", std::to_string(*priority));
  return pr;
}

std::string_view subscription_type(SubscriptionAction a) {
  switch (a) {
    case SubscriptionAction::subscribe:
      return "subscribe";
    case SubscriptionAction::subscribed:
      return "subscribed";
    case SubscriptionAction::unsubscribe:
      return "unsubscribe";
    case SubscriptionAction::unsubscribed:
      return "unsubscribed";
  }
  return "subscribe";
}

xml::Element subscription(std::string_view from, std::string_view to, SubscriptionAction a) {
  xml::Element pr("presence");
  pr.set("from", from).set("to", to).set("type", subscription_type(a));
  return pr;
}

namespace {
xml::Element reply_base(const xml::Element& request, std::string_view type) {
  xml::Element r(request.name);
  r.set("from", request.attr_or("to")).set("to", request.attr_or("from"));
  r.set("type", type).set("id", request.attr_or("id"));
  return r;
}
}  // namespace

xml::Element iq_result(const xml::Element& request) {
  return reply_base(request, "result");
}

xml::Element iq_result(const xml::Element& request, xml::Element payload) {
  xml::Element r = reply_base(request, "result");
  r.add(std::move(payload));
  return r;
}

xml::Element iq_error(const xml::Element& request, const StanzaError& e) {
  xml::Element r = reply_base(request, "error");
  r.add(error_element(e));
  return r;
}

xml::Element error_reply(const xml::Element& request, const StanzaError& e) {
  xml::Element r = reply_base(request, "error");
  r.add(error_element(e));
  return r;
}

}  // namespace passerelle::xmpp
