#pragma once
// Between OSCAR's words and passerelle's model (DESIGN.md §2): addresses of buddies,
// presence from a user info block (AIM away flag and away message, ICQ status word), our
// own status from the person's presence, message text both ways, and the typing states.
// Pure functions, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bus/events.hpp"
#include "model/address.hpp"
#include "model/presence.hpp"
#include "oscar/codec/icbm.hpp"
#include "oscar/codec/userinfo.hpp"

namespace passerelle::oscar {

// A screen name as the server spells it ("Bob Smith") → aim:bobsmith; a UIN → icq:<uin>.
// ICQ numbers are all digits, AIM screen names start with a letter.
bool is_uin(std::string_view screen_name);
Address buddy_address(std::string_view screen_name);
// The canonical screen name (lower case, no spaces), the key of every per-buddy table.
std::string normalize_screen_name(std::string_view screen_name);

// A buddy's presence: the ICQ status word wins when present (IcqState → PresenceState:
// online available, free for chat chatty, away away, N/A xa, occupied and DND busy,
// invisible invisible); else the AIM away class bit. `away_text` (already plain text) is
// the status; a busy ICQ state without one says which it is ("Occupied", "Do not disturb").
Presence buddy_presence(const UserInfo& u, std::optional<std::string> away_text = std::nullopt);
Presence offline_presence();

// What we set for the person's own presence: the ICQ status word (0x0001/0x001E) and the
// AIM away message (LOCATE 0x0004; empty = available). Offline (the person left every
// client) shows as away: the account stays signed on so that messages still reach them.
struct OwnStatus {
  std::uint32_t icq_status = icq_status::online;
  std::string away_text;  // plain text; empty when available or chatty
};
OwnStatus own_status(const Presence& p);

// An incoming channel-1 message's text in UTF-8 plain text (AIM HTML stripped).
Result<std::string> incoming_text(const IncomingIm& im);
// What we send: AIM recipients get HTML (text escaped, line breaks as <BR>), ICQ ones the
// text as is. The charset is chosen later, per text (make_text_im).
std::string outgoing_text(std::string_view body, bool to_icq);

std::string cookie_hex(const IcbmCookie& c);

// A server warning (OSERVICE 0x0010 "evil notification": the account's new warning level
// in tenths of a percent, then the warner's user info block unless the warning was
// anonymous) as the reason the person reads: "warned by bob (warning level 15%)",
// "warned by anonymous (warning level 49.3%)". A warner block that cannot be read still
// gives the level ("warned by someone"); a body without the level is a Fault::truncated.
Result<std::string> warning_reason(ByteView body);

// Mini typing notifications (0x0004/0x0014) ↔ XEP-0085 chat states.
ChatState chat_state_of(std::uint16_t typing_state);
std::uint16_t typing_state_of(ChatState s);

}  // namespace passerelle::oscar
