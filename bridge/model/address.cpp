#include "model/address.hpp"

#include <algorithm>
#include <cctype>

namespace passerelle {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::string Address::str() const {
  std::string out(network_name(network));
  out += ':';
  out += id;
  return out;
}

bool looks_like_jid(std::string_view s) {
  if (s.empty() || s.size() > 3071) return false;
  const auto at = s.find('@');
  const std::string_view domain = at == std::string_view::npos ? s : s.substr(at + 1);
  if (at != std::string_view::npos && (at == 0 || at > 1023)) return false;
  if (domain.empty() || domain.size() > 1023 || domain.find('@') != std::string_view::npos)
    return false;
  if (domain.front() == '.' || domain.back() == '.') return false;
  for (unsigned char c : s)
    if (c <= 0x20 || c == '"' || c == '<' || c == '>' || c == '\'' || c == 0x7f) return false;
  return true;
}

Result<Address> make_address(Network n, std::string_view id) {
  switch (n) {
    case Network::rcs:
      // The bridge's own chatbot on a carrier's platform: "<bot id>@<platform>".
      if (const auto at = id.rfind('@'); at != std::string_view::npos) {
        if (at == 0 || at + 1 == id.size() || id.size() > 330 ||
            std::any_of(id.begin(), id.end(),
                        [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
          return Error::invalid("'" + std::string(id) + "' is not an RCS chatbot (bot@platform)");
        return Address{n, std::string(id)};
      }
      [[fallthrough]];
    case Network::sms: {
      if (id.size() < 9 || id.size() > 16 || id[0] != '+' || !all_digits(id.substr(1)) ||
          id[1] == '0')
        return Error::invalid("'" + std::string(id) +
                              "' is not an E.164 number (+ and 8 to 15 digits)");
      return Address{n, std::string(id)};
    }
    case Network::icq: {
      if (!all_digits(id) || id.size() > 10)
        return Error::invalid("'" + std::string(id) + "' is not an ICQ number (UIN digits)");
      return Address{n, std::string(id)};
    }
    case Network::aim: {
      std::string sn;
      for (char c : id)
        if (c != ' ') sn += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (sn.empty() || sn.size() > 97)
        return Error::invalid("'" + std::string(id) + "' is not an AIM screen name");
      return Address{n, sn};
    }
    case Network::msn: {
      const auto at = id.find('@');
      if (at == std::string_view::npos || at == 0 || at + 1 >= id.size() || !looks_like_jid(id))
        return Error::invalid("'" + std::string(id) + "' is not an MSN e-mail address");
      return Address{n, lower(id)};
    }
    case Network::xmpp: {
      std::string_view bare = id.substr(0, id.find('/'));
      if (!looks_like_jid(bare))
        return Error::invalid("'" + std::string(id) + "' is not a valid JID");
      return Address{n, lower(bare)};
    }
  }
  return Error::invalid("unknown network");
}

Result<Address> parse_address(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return Error::invalid("'" + std::string(text) + "' has no network (expected network:id)");
  const auto n = network_from_name(text.substr(0, colon));
  if (!n) return Error::invalid("unknown network '" + std::string(text.substr(0, colon)) + "'");
  return make_address(*n, text.substr(colon + 1));
}

}  // namespace passerelle
