#pragma once
// Between the MaaP platform's events and the bridge's model (DESIGN.md §2): pure mappings,
// no I/O. What a phone sends that the other networks cannot carry as such degrades to
// text that says what it was (STYLE.md habit 3: degrade visibly, never drop silently).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bus/events.hpp"
#include "model/attachment_text.hpp"
#include "rcs/codec/events.hpp"
#include "rcs/codec/message.hpp"
#include "rcs/codec/types.hpp"

namespace passerelle::rcs {

// The text forwarded for a message event from a phone: the text itself, the tapped
// suggestion's text, a location as text with a geo: URI, a file as a line naming it.
// nullopt for events that are not messages.
std::optional<std::string> inbound_text(const Event& e);

// A platform's messageStatus as a delivery state of the bridge; nullopt for states that
// change nothing (pending, sent: the send answer already said "acked"; cancelled: our own
// revoke, reported by the connector).
std::optional<DeliveryState> delivery_state(DeliveryStatus s);

// The bridge's notices to a phone (help, STOP confirmation) carry suggested replies for the
// commands they mention (STOP, START, HELP as whole upper-case words, in their order): a
// tap sends the word back, which the router reads as the command.
std::vector<Suggestion> command_replies(std::string_view notice);

// Typing: XEP-0085 composing is "active", anything else "idle"; back, active is composing.
Typing typing_for(ChatState s);
ChatState chat_state_for(Typing t);

}  // namespace passerelle::rcs
