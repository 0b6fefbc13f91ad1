#include "router/keywords.hpp"

#include <algorithm>
#include <cctype>

namespace passerelle {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

SmsCommand parse_sms_command(std::string_view text) {
  std::string_view t = trim(text);
  if (t.size() > 12) return SmsCommand::none;
  std::string word(t);
  std::transform(word.begin(), word.end(), word.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const char* w : {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
    if (word == w) return SmsCommand::stop;
  for (const char* w : {"START", "UNSTOP"})
    if (word == w) return SmsCommand::start;
  for (const char* w : {"HELP", "INFO"})
    if (word == w) return SmsCommand::help;
  return SmsCommand::none;
}

std::optional<Addressed> parse_phone_addressed(std::string_view text) {
  std::string_view t = trim(text);
  const auto end =
      std::find_if(t.begin(), t.end(), [](unsigned char c) { return std::isspace(c); });
  const auto n = static_cast<size_t>(end - t.begin());
  std::string_view token = t.substr(0, n);
  const bool at = !token.empty() && token.front() == '@';
  if (at) {
    token.remove_prefix(1);
    std::string scheme(token.substr(0, 4));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme == "sms:" || scheme == "rcs:") token.remove_prefix(4);
  } else if (token.size() < 2 || token.front() != '+' ||
             !std::isdigit(static_cast<unsigned char>(token[1]))) {
    return std::nullopt;
  }
  if (token.empty()) return std::nullopt;  // a lone "@": text
  return Addressed{std::string(token), std::string(trim(t.substr(n)))};
}

std::optional<Addressed> parse_addressed(std::string_view text) {
  std::string_view t = trim(text);
  if (t.size() < 2 || t.front() != '@') return std::nullopt;
  t.remove_prefix(1);
  const auto end =
      std::find_if(t.begin(), t.end(), [](unsigned char c) { return std::isspace(c); });
  const auto n = static_cast<size_t>(end - t.begin());
  Addressed out;
  out.target = std::string(t.substr(0, n));
  out.text = std::string(trim(t.substr(n)));
  if (out.target.find(':') == std::string::npos) return std::nullopt;
  return out;
}

}  // namespace passerelle
