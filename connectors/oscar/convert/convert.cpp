#include "oscar/convert/convert.hpp"

#include <cctype>

#include "core/hex.hpp"
#include "oscar/codec/fault.hpp"
#include "oscar/codec/html.hpp"

namespace passerelle::oscar {

bool is_uin(std::string_view sn) {
  if (sn.empty()) return false;
  for (char c : sn)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string normalize_screen_name(std::string_view sn) {
  std::string out;
  out.reserve(sn.size());
  for (char c : sn) {
    if (c == ' ') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

Address buddy_address(std::string_view sn) {
  const Network n = is_uin(sn) ? Network::icq : Network::aim;
  auto a = make_address(n, sn);
  return a.ok() ? *a : Address{n, normalize_screen_name(sn)};
}

Presence offline_presence() {
  return Presence{};
}

Presence buddy_presence(const UserInfo& u, std::optional<std::string> away_text) {
  Presence p;
  p.state = PresenceState::available;
  if (u.user_class && (*u.user_class & user_class::wireless)) p.device = Device::mobile;
  if (u.icq_status) {
    switch (icq_state(*u.icq_status)) {
      case IcqState::online:
        p.state = PresenceState::available;
        break;
      case IcqState::free_for_chat:
        p.state = PresenceState::chatty;
        break;
      case IcqState::away:
        p.state = PresenceState::away;
        break;
      case IcqState::not_available:
        p.state = PresenceState::xa;
        break;
      case IcqState::occupied:
        p.state = PresenceState::busy;
        if (!away_text || away_text->empty()) away_text = "Occupied";
        break;
      case IcqState::dnd:
        p.state = PresenceState::busy;
        if (!away_text || away_text->empty()) away_text = "Do not disturb";
        break;
      case IcqState::invisible:
        p.state = PresenceState::invisible;
        break;
    }
  } else if (u.away()) {
    p.state = PresenceState::away;
  }
  if (away_text) p.status = std::move(*away_text);
  return p;
}

OwnStatus own_status(const Presence& p) {
  OwnStatus s;
  auto text_or = [&](const char* fallback) {
    return p.status.empty() ? std::string(fallback) : p.status;
  };
  switch (p.state) {
    case PresenceState::available:
      s.icq_status = icq_status::online;
      break;
    case PresenceState::chatty:
      s.icq_status = icq_status::free_for_chat;
      break;
    case PresenceState::away:
      s.icq_status = icq_status::away;
      s.away_text = text_or("Away");
      break;
    case PresenceState::xa:
      s.icq_status = icq_status::away | icq_status::not_available;
      s.away_text = text_or("Not available");
      break;
    case PresenceState::busy:
      s.icq_status = icq_status::away | icq_status::occupied;
      s.away_text = text_or("Busy");
      break;
    case PresenceState::invisible:
      s.icq_status = icq_status::invisible;
      break;
    case PresenceState::offline:
      s.icq_status = icq_status::away | icq_status::not_available;
      s.away_text = "Not at a computer; messages reach me by SMS";
      break;
  }
  return s;
}

Result<std::string> incoming_text(const IncomingIm& im) {
  auto text = message_text(im.fragments);
  if (!text) return text.error();
  if (looks_like_html(*text)) return html_to_text(*text);
  return text;
}

std::string outgoing_text(std::string_view body, bool to_icq) {
  if (to_icq) return std::string(body);
  return text_to_html(body);
}

std::string cookie_hex(const IcbmCookie& c) {
  return to_hex(c.data(), c.size());
}

Result<std::string> warning_reason(ByteView body) {
  ByteReader r(body);
  std::uint16_t level = 0;
  if (!r.u16(level)) return make_fault(Fault::truncated, "evil notification without a level");
  std::string who = "anonymous";
  if (!r.at_end()) {
    auto u = read_user_info(r);
    who = u && !u->screen_name.empty() ? u->screen_name : "someone";
  }
  std::string percent = std::to_string(level / 10);
  if (level % 10) percent += "." + std::to_string(level % 10);
  return "warned by " + who + " (warning level " + percent + "%)";
}

ChatState chat_state_of(std::uint16_t t) {
  switch (t) {
    case typing::begun:
      return ChatState::composing;
    case typing::typed:
      return ChatState::paused;
    default:
      return ChatState::active;
  }
}

std::uint16_t typing_state_of(ChatState s) {
  switch (s) {
    case ChatState::composing:
      return typing::begun;
    case ChatState::paused:
      return typing::typed;
    default:
      return typing::done;
  }
}

}  // namespace passerelle::oscar
