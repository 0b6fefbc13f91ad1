#pragma once
// Between MSNP's vocabulary and passerelle's (DESIGN.md §2): presence states, the texts a
// switchboard carries, and the size limit of one MSG. Pure functions, no I/O.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/presence.hpp"
#include "msn/codec/mime.hpp"
#include "msn/codec/names.hpp"

namespace passerelle::msn {

// NLN/BSY/IDL/BRB/AWY/PHN/LUN/HDN/FLN as passerelle presence. IDL, BRB and LUN are
// "extended away" (the contact stepped away for a while), AWY is away, BSY and PHN busy;
// HDN (only ever our own) and FLN are offline to everybody else.
PresenceState to_presence_state(Status s);
// What to send with CHG for our own presence: chatty is NLN, xa is BRB (nothing nearer),
// invisible is HDN. Offline (the person has no client anywhere) is AWY, not HDN: contacts
// must still be able to open a chat, whose messages the bridge sends on by SMS.
Status from_presence_state(PresenceState s);
Presence to_presence(Status s, std::string_view personal_message);

// A switchboard refuses a MSG whose payload is over 1664 bytes (MSNP8 documents; the
// session is closed without relaying it).
inline constexpr std::size_t kMaxMsgPayload = 1664;
// The longest UTF-8 body that fits one MSG with the text/plain headers build_text writes.
std::size_t max_text_body_bytes();
// Longer texts are sent as several MSG, at most this many; past that the message is refused
// with a clear error (Capabilities::max_text_bytes says so to the router).
inline constexpr std::size_t kMaxParts = 8;
std::size_t max_message_bytes();

// Splits `text` into parts of at most `max_bytes` bytes each, never inside a UTF-8
// sequence, preferring to break after a newline or a space in the last quarter of a part.
// An empty text is one empty part.
std::vector<std::string> split_text(std::string_view text, std::size_t max_bytes);

// What an inbound MIME message says to a person, or nullopt for what has no text (typing,
// profile, e-mail notifications, P2P data). A nudge is "*nudge*".
std::optional<std::string> inbound_text(const MimeMessage& m);
inline constexpr std::string_view kNudgeText = "*nudge*";

// The text sent to a contact when the bridge could not deliver what they wrote.
std::string error_text(std::string_view message);

}  // namespace passerelle::msn
