#include "msn/convert/convert.hpp"

#include <variant>

namespace passerelle::msn {

PresenceState to_presence_state(Status s) {
  switch (s) {
    case Status::online:
      return PresenceState::available;
    case Status::busy:
    case Status::on_the_phone:
      return PresenceState::busy;
    case Status::away:
      return PresenceState::away;
    case Status::idle:
    case Status::be_right_back:
    case Status::out_to_lunch:
      return PresenceState::xa;
    case Status::hidden:
    case Status::offline:
      return PresenceState::offline;
  }
  return PresenceState::offline;
}

Status from_presence_state(PresenceState s) {
  switch (s) {
    case PresenceState::available:
    case PresenceState::chatty:
      return Status::online;
    case PresenceState::away:
      return Status::away;
    case PresenceState::xa:
      return Status::be_right_back;
    case PresenceState::busy:
      return Status::busy;
    case PresenceState::invisible:
      return Status::hidden;
    case PresenceState::offline:
      // Not HDN: a hidden account cannot be written to (CAL gets 217), and while the
      // person is offline everywhere their MSN messages must still reach the bridge, which
      // sends them on by SMS. Contacts see them away.
      return Status::away;
  }
  return Status::online;
}

Presence to_presence(Status s, std::string_view personal_message) {
  Presence p;
  p.state = to_presence_state(s);
  p.status = std::string(personal_message);
  p.device = Device::desktop;
  return p;
}

std::size_t max_text_body_bytes() {
  static const std::size_t n = kMaxMsgPayload - build_text("").size();
  return n;
}

std::size_t max_message_bytes() {
  return max_text_body_bytes() * kMaxParts;
}

namespace {

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

}  // namespace

std::vector<std::string> split_text(std::string_view text, std::size_t max_bytes) {
  std::vector<std::string> parts;
  if (max_bytes < 4) max_bytes = 4;  // room for one UTF-8 sequence
  while (text.size() > max_bytes) {
    std::size_t cut = max_bytes;
    while (cut > 0 && is_continuation(static_cast<unsigned char>(text[cut]))) --cut;
    // A break after a newline or space near the end reads better than one mid-word.
    for (std::size_t i = cut; i > cut - cut / 4; --i) {
      const char c = text[i - 1];
      if (c == '\n' || c == ' ') {
        cut = i;
        break;
      }
    }
    if (cut == 0) cut = max_bytes;  // not UTF-8: cut anywhere rather than loop
    parts.emplace_back(text.substr(0, cut));
    text.remove_prefix(cut);
  }
  parts.emplace_back(text);
  return parts;
}

std::optional<std::string> inbound_text(const MimeMessage& m) {
  if (const auto* t = std::get_if<Text>(&m)) return t->body;
  if (std::holds_alternative<Nudge>(m)) return std::string(kNudgeText);
  return std::nullopt;
}

std::string error_text(std::string_view message) {
  return "passerelle: " + std::string(message);
}

}  // namespace passerelle::msn
