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
// On a phone gateway (sms., rcs.) the user registers their phone number; on an account
// gateway (aim., icq., msn.) the account the bridge signs on for them: username and
// password, as legacy fields or as a data form (XEP-0004).
struct RegisterRequest {
  enum class Kind { form, set_phone, set_account, remove, bad };
  Kind kind = Kind::bad;
  std::string phone;     // set_phone: as typed
  std::string username;  // set_account: as typed (trimmed)
  std::string password;  // set_account: exactly as typed
  std::string problem;   // bad: why
};
RegisterRequest parse_register(const xml::Element& iq, bool account_gateway = false);

// The XEP-0077 form for a phone gateway: instructions, a legacy <phone/> field and the
// same as a jabber:x:data form (XEP-0004).
xml::Element register_form(std::string_view instructions, std::string_view current_phone = {});

// The XEP-0077 form for an account gateway: <username/> and <password/>, and the same as
// a data form with a text-private password field. `account_label` names the username
// ("Screen name", "ICQ number", "MSN address").
xml::Element register_account_form(std::string_view instructions, std::string_view account_label);

}  // namespace passerelle::xmpp
