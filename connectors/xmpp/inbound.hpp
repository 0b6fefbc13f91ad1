#pragma once
// Reading stanzas (pure): what a message, presence or registration request carries, as
// plain values the sessions turn into passerelle events. Untrusted input: every field
// is optional and nothing here throws.

#include <optional>
#include <string>
#include <vector>

#include "bus/events.hpp"
#include "stanza.hpp"
#include "xml.hpp"

namespace passerelle::xmpp {

struct MessageStanza {
  std::string from, to, id;
  std::string type = "normal";  // RFC 6121 §5.2.2: absent means normal
  std::optional<std::string> body;
  bool wants_receipt = false;           // <request xmlns='urn:xmpp:receipts'/>
  std::optional<ChatState> chat_state;  // XEP-0085
  std::string receipt_for;              // <received id=..> (XEP-0184)
  std::optional<StanzaError> error;     // type='error'
  std::vector<Attachment> links;        // XEP-0066 <x xmlns='jabber:x:oob'>
};
MessageStanza parse_message(const xml::Element& m);

// A <message type='error'> bouncing one we sent (matched by its id): the delivery report
// it means, or nothing when it carries no id (RFC 6120 §8.3.1: never answer an error).
std::optional<DeliveryReport> bounce_report(const std::string& connector, const MessageStanza& msg);

struct PresenceStanza {
  std::string from, to, id;
  std::string type;  // empty: available
  Presence presence;
  int priority = 0;
};
PresenceStanza parse_presence(const xml::Element& p);

// The <error/> child of a stanza, if any.
std::optional<StanzaError> parse_error(const xml::Element& stanza);

// XEP-0077 request in an <iq> (the <query xmlns='jabber:iq:register'/> is looked up).
struct RegisterRequest {
  enum class Kind { form, set_phone, remove, bad };
  Kind kind = Kind::bad;
  std::string phone;    // set_phone: as typed
  std::string problem;  // bad: why
};
RegisterRequest parse_register(const xml::Element& iq);

// The XEP-0077 form for a gateway: instructions, a legacy <phone/> field and the same as
// a jabber:x:data form (XEP-0004).
xml::Element register_form(std::string_view instructions, std::string_view current_phone = {});

}  // namespace passerelle::xmpp
