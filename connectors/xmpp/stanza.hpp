#pragma once
// Building stanzas (pure): messages, receipts (XEP-0184), chat states (XEP-0085),
// presence and subscriptions (RFC 6121), IQ results and stanza errors (RFC 6120 §8.3),
// and the mapping from passerelle errors to stanza error conditions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bus/events.hpp"
#include "core/result.hpp"
#include "xml.hpp"

namespace passerelle::xmpp {

namespace ns {
inline constexpr std::string_view stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view receipts = "urn:xmpp:receipts";
inline constexpr std::string_view chatstates = "http://jabber.org/protocol/chatstates";
inline constexpr std::string_view disco_info = "http://jabber.org/protocol/disco#info";
inline constexpr std::string_view disco_items = "http://jabber.org/protocol/disco#items";
inline constexpr std::string_view reg = "jabber:iq:register";
inline constexpr std::string_view gateway = "jabber:iq:gateway";
inline constexpr std::string_view xdata = "jabber:x:data";
inline constexpr std::string_view oob = "jabber:x:oob";
inline constexpr std::string_view ping = "urn:xmpp:ping";
inline constexpr std::string_view version = "jabber:iq:version";
inline constexpr std::string_view hints = "urn:xmpp:hints";
}  // namespace ns

struct StanzaError {
  std::string type;       // cancel | continue | modify | auth | wait
  std::string condition;  // RFC 6120 §8.3.3 element name
  std::string text;       // human words, may be empty
  friend bool operator==(const StanzaError&, const StanzaError&) = default;
};

// invalid_input -> modify/bad-request, not_allowed -> auth/forbidden, limit_exceeded ->
// wait/resource-constraint when retryable else modify/policy-violation, not_found ->
// cancel/item-not-found, unavailable -> wait/remote-server-timeout, unknown_outcome ->
// wait/undefined-condition, internal -> cancel/internal-server-error. Text = message.
StanzaError stanza_error_for(const Error& e);
StanzaError jid_malformed(std::string text);
StanzaError service_unavailable(std::string text = {});
StanzaError bad_request(std::string text);

std::string_view chat_state_name(ChatState s);
std::optional<ChatState> chat_state_from_name(std::string_view name);

// <error type=..><condition xmlns=stanzas/><text xmlns=stanzas>..</text></error>
xml::Element error_element(const StanzaError& e);

// <message type='chat'> with body, optional receipt request and XEP-0066 links for
// attachments (their URLs are also appended to the body for clients without OOB).
xml::Element chat_message(std::string_view from, std::string_view to, std::string_view id,
                          std::string_view body, bool request_receipt,
                          const std::vector<Attachment>& attachments = {});
// <message id=..><received xmlns='urn:xmpp:receipts' id='origin'/></message>
xml::Element receipt(std::string_view from, std::string_view to, std::string_view id,
                     std::string_view origin_id);
// <message type='error' id='origin'> with the error.
xml::Element message_error(std::string_view from, std::string_view to, std::string_view origin_id,
                           const StanzaError& e);
// <message type='chat'><composing xmlns=chatstates/><no-store xmlns=hints/></message>
xml::Element chat_state_message(std::string_view from, std::string_view to, ChatState s);

// Presence from `from` to `to` (either may be empty) for a passerelle Presence:
// offline and invisible are type='unavailable'; chatty/away/xa/busy map to
// <show>chat|away|xa|dnd</show>. `priority` is added when set (client mode).
xml::Element presence(std::string_view from, std::string_view to, const Presence& p,
                      std::optional<int> priority = std::nullopt);
xml::Element subscription(std::string_view from, std::string_view to, SubscriptionAction a);
std::string_view subscription_type(SubscriptionAction a);

// Replies to a request stanza: from/to swapped, same id.
xml::Element iq_result(const xml::Element& request);
xml::Element iq_result(const xml::Element& request, xml::Element payload);
xml::Element iq_error(const xml::Element& request, const StanzaError& e);
// type='error' reply to a message or presence, keeping its name and id.
xml::Element error_reply(const xml::Element& request, const StanzaError& e);

}  // namespace passerelle::xmpp
