#include "jid.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace passerelle::xmpp {
namespace {

constexpr std::array<std::pair<char, std::string_view>, 10> kEscapes{{
    {' ', "20"},
    {'"', "22"},
    {'&', "26"},
    {'\'', "27"},
    {'/', "2f"},
    {':', "3a"},
    {'<', "3c"},
    {'>', "3e"},
    {'@', "40"},
    {'\\', "5c"},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The escape sequence starting at s[i] ('\\' + two hex digits from the table), if any.
std::optional<char> escape_at(std::string_view s, std::size_t i) {
  if (i + 2 >= s.size() || s[i] != '\\') return std::nullopt;
  const std::string code = lower(s.substr(i + 1, 2));
  for (const auto& [c, hex] : kEscapes)
    if (hex == code) return c;
  return std::nullopt;
}

bool bad_local_char(unsigned char c) {
  return c <= 0x20 || c == 0x7f || c == '"' || c == '&' || c == '\'' || c == '/' || c == ':' ||
         c == '<' || c == '>' || c == '@';
}

bool bad_domain_char(unsigned char c) {
  return c <= 0x20 || c == 0x7f || c == '@' || c == '/' || c == '"' || c == '<' || c == '>' ||
         c == '\'' || c == '&' || c == '\\';
}

}  // namespace

std::string Jid::bare() const {
  return local.empty() ? domain : local + "@" + domain;
}
std::string Jid::full() const {
  return resource.empty() ? bare() : bare() + "/" + resource;
}

std::optional<Jid> parse_jid(std::string_view s) {
  if (s.empty() || s.size() > 3071) return std::nullopt;
  Jid j;
  const auto slash = s.find('/');
  std::string_view head = s.substr(0, slash);
  if (slash != std::string_view::npos) {
    j.resource = std::string(s.substr(slash + 1));
    if (j.resource.empty() || j.resource.size() > 1023) return std::nullopt;
    for (unsigned char c : j.resource)
      if (c < 0x20 || c == 0x7f) return std::nullopt;
  }
  const auto at = head.find('@');
  std::string_view domain = head;
  if (at != std::string_view::npos) {
    const std::string_view local = head.substr(0, at);
    if (local.empty() || local.size() > 1023) return std::nullopt;
    for (unsigned char c : local)
      if (bad_local_char(c)) return std::nullopt;
    j.local = std::string(local);
    domain = head.substr(at + 1);
  }
  if (domain.empty() || domain.size() > 1023 || domain.front() == '.' || domain.back() == '.')
    return std::nullopt;
  for (unsigned char c : domain)
    if (bad_domain_char(c)) return std::nullopt;
  j.domain = lower(domain);
  return j;
}

std::string escape_localpart(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\' && !escape_at(s, i)) {  // a lone backslash stays as it is
      out += c;
      continue;
    }
    bool escaped = false;
    for (const auto& [ch, hex] : kEscapes) {
      if (ch == c) {
        out += '\\';
        out += hex;
        escaped = true;
        break;
      }
    }
    if (!escaped) out += c;
  }
  return out;
}

std::string unescape_localpart(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (auto c = escape_at(s, i)) {
      out += *c;
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string prompt_to_localpart(Network n, std::string_view prompt) {
  std::string text;
  // Trim surrounding whitespace.
  auto b = prompt.find_first_not_of(" \t\r\n");
  auto e = prompt.find_last_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  prompt = prompt.substr(b, e - b + 1);
  if (n == Network::sms || n == Network::rcs) {
    for (char c : prompt)
      if (c != ' ' && c != '.' && c != '-' && c != '(' && c != ')' && c != '/' && c != '\t')
        text += c;
  } else {
    text = std::string(prompt);
  }
  return escape_localpart(text);
}

AddressMap::AddressMap(std::string bridge_domain, std::vector<Network> served)
    : domain_(lower(bridge_domain)), served_(std::move(served)) {}

std::string AddressMap::domain_of(Network n) const {
  return std::string(network_name(n)) + "." + domain_;
}

std::optional<Network> AddressMap::network_of(std::string_view domain) const {
  const std::string d = lower(domain);
  for (Network n : served_)
    if (n != Network::xmpp && d == domain_of(n)) return n;
  return std::nullopt;
}

Result<std::string> AddressMap::to_jid(const Address& a) const {
  if (a.network == Network::xmpp) {
    if (!parse_jid(a.id)) return Error::invalid("'" + a.id + "' is not a valid JID");
    return a.id;
  }
  if (std::find(served_.begin(), served_.end(), a.network) == served_.end())
    return Error::missing("no XMPP component serves network " +
                          std::string(network_name(a.network)) + " (add it to xmpp.networks)");
  // An empty id is the gateway itself (XEP-0100): its presence carries a linked
  // account's state.
  if (a.id.empty()) return domain_of(a.network);
  return escape_localpart(a.id) + "@" + domain_of(a.network);
}

Result<Address> AddressMap::to_address(const Jid& j) const {
  const auto n = network_of(j.domain);
  if (!n) {
    auto a = make_address(Network::xmpp, j.bare());
    if (!a) return a.error();
    return *a;
  }
  const std::string domain = domain_of(*n);
  if (j.local.empty())
    return Error::invalid("'" + j.domain + "' needs an address before the @ (e.g. +33611111111@" +
                          domain + ")");
  const std::string id = unescape_localpart(j.local);
  if (*n == Network::sms || *n == Network::rcs) {
    if (auto a = make_address(*n, id)) return *a;
    return Address{*n, id};  // as typed; the router normalises or refuses
  }
  auto a = make_address(*n, id);
  if (!a) return a.error();
  return *a;
}

Result<Address> AddressMap::to_address(std::string_view jid) const {
  const auto j = parse_jid(jid);
  if (!j) return Error::invalid("'" + std::string(jid) + "' is not a valid JID");
  return to_address(*j);
}

}  // namespace passerelle::xmpp
