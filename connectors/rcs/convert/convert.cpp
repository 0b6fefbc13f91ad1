#include "rcs/convert/convert.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <type_traits>

namespace passerelle::rcs {

std::optional<std::string> inbound_text(const Event& e) {
  return std::visit(
      [](const auto& ev) -> std::optional<std::string> {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, InboundText>) {
          return ev.text;
        } else if constexpr (std::is_same_v<T, SuggestionResponse>) {
          return ev.display_text.empty() ? ev.postback : ev.display_text;
        } else if constexpr (std::is_same_v<T, InboundLocation>) {
          std::string out = ev.label.empty() ? "Location" : ev.label;
          out += fmt::format(": geo:{:.6f},{:.6f}", ev.latitude, ev.longitude);
          if (ev.radius) out += fmt::format(" (within {:.0f} m)", *ev.radius);
          return out;
        } else if constexpr (std::is_same_v<T, InboundFile>) {
          std::string what = ev.audio ? "a voice message" : "a file";
          std::string out = "[sent " + what;
          if (!ev.file.name.empty()) out += " \"" + ev.file.name + "\"";
          if (ev.file.size) out += ", " + human_size(*ev.file.size);
          if (!ev.file.mime_type.empty()) out += ", " + ev.file.mime_type;
          out += "]";
          return out;
        } else {
          return std::nullopt;
        }
      },
      e);
}

std::optional<DeliveryState> delivery_state(DeliveryStatus s) {
  switch (s) {
    case DeliveryStatus::delivered:
      return DeliveryState::delivered;
    case DeliveryStatus::displayed:
      return DeliveryState::read;
    case DeliveryStatus::failed:
      return DeliveryState::failed;
    case DeliveryStatus::pending:
    case DeliveryStatus::sent:
    case DeliveryStatus::cancelled:
      return std::nullopt;
  }
  return std::nullopt;
}

Typing typing_for(ChatState s) {
  return s == ChatState::composing ? Typing::active : Typing::idle;
}

ChatState chat_state_for(Typing t) {
  return t == Typing::active ? ChatState::composing : ChatState::paused;
}

std::vector<Suggestion> command_replies(std::string_view notice) {
  std::vector<std::pair<std::size_t, std::string>> found;
  for (const char* word : {"STOP", "START", "HELP"}) {
    const std::string_view w(word);
    for (auto pos = notice.find(w); pos != std::string_view::npos; pos = notice.find(w, pos + 1)) {
      const bool starts = pos == 0 || !std::isalnum(static_cast<unsigned char>(notice[pos - 1]));
      const auto end = pos + w.size();
      const bool ends =
          end == notice.size() || !std::isalnum(static_cast<unsigned char>(notice[end]));
      if (starts && ends) {
        found.emplace_back(pos, std::string(w));
        break;
      }
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<Suggestion> out;
  for (auto& [pos, word] : found) out.push_back(Reply{word, word});
  return out;
}

}  // namespace passerelle::rcs
