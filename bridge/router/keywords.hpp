#pragma once
// What a phone can say in an SMS reply besides a message (DESIGN.md §3): STOP / START,
// and "@network:id text" to pick who gets the text. Pure functions.

#include <optional>
#include <string>
#include <string_view>

namespace passerelle {

enum class SmsCommand { none, stop, start, help };

// STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT -> stop; START, UNSTOP -> start;
// HELP, INFO -> help. Case-insensitive, whole message only (surrounding blanks ignored).
SmsCommand parse_sms_command(std::string_view text);

struct Addressed {
  std::string target;  // "network:id" as written (not yet validated)
  std::string text;    // the rest, leading blanks removed
};
// "@xmpp:alice@example.org hello" -> {"xmpp:alice@example.org", "hello"}.
std::optional<Addressed> parse_addressed(std::string_view text);

// What a contact writes to a gateway account (account_gateway.cpp) to pick a phone:
// "+33611111111 hello" -> {"+33611111111", "hello"}; "@0611111111 hello",
// "@sms:+33611111111 hello" and "@rcs:..." alike (the number as written, not yet
// validated). Any other "@word" comes back as the target too, so that it is refused
// rather than sent as text. Anything else: nullopt, a text for the latest phone.
std::optional<Addressed> parse_phone_addressed(std::string_view text);

}  // namespace passerelle
