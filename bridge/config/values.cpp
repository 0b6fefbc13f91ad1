#include "config/values.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "model/address.hpp"

namespace passerelle::config {
namespace {

bool digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

bool is_e164(std::string_view s) {
  return s.size() >= 9 && s.size() <= 16 && s[0] == '+' && s[1] != '0' && digits(s.substr(1));
}

bool is_number_prefix(std::string_view s) {
  return !s.empty() && s.size() <= 16 && s[0] == '+' && digits(s.substr(1));
}

bool looks_like_domain(std::string_view s) {
  return !s.empty() && s.find_first_of("@/") == std::string_view::npos && looks_like_jid(s);
}

bool looks_like_host(std::string_view s) {
  const std::string h(s);
  in6_addr a6{};
  return looks_like_domain(s) || inet_pton(AF_INET6, h.c_str(), &a6) == 1;
}

Result<ListenAddress> parse_listen(std::string_view s) {
  ListenAddress out;
  std::string_view port;
  if (!s.empty() && s[0] == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return Error::invalid("expected [ipv6]:port");
    out.host = std::string(s.substr(1, close - 1));
    in6_addr a6{};
    if (inet_pton(AF_INET6, out.host.c_str(), &a6) != 1)
      return Error::invalid("'" + out.host + "' is not an IPv6 address");
    out.loopback =
        IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    port = s.substr(close + 2);
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return Error::invalid("expected host:port");
    out.host = std::string(s.substr(0, colon));
    if (out.host.find(':') != std::string::npos)
      return Error::invalid("an IPv6 address goes in brackets, e.g. \"[::1]:8480\"");
    if (out.host.empty()) return Error::invalid("the host is missing (expected host:port)");
    in_addr a4{};
    if (inet_pton(AF_INET, out.host.c_str(), &a4) == 1)
      out.loopback = (ntohl(a4.s_addr) >> 24) == 127;
    else if (!looks_like_domain(out.host))
      return Error::invalid("'" + out.host + "' is not a host name or address");
    else
      out.loopback = out.host == "localhost";
    port = s.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || !digits(port))
    return Error::invalid("expected a port from 1 to 65535 after ':'");
  out.port = std::atoi(std::string(port).c_str());
  if (out.port < 1 || out.port > 65535)
    return Error::invalid("expected a port from 1 to 65535 after ':'");
  return out;
}

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

Result<std::string> expand_env(std::string_view text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 3;
    } else if (text.substr(i, 2) == "${") {
      const auto close = text.find('}', i + 2);
      if (close == std::string_view::npos)
        return Error::invalid("'${' without a closing '}' (write '$${' for a literal '${')");
      const std::string name(text.substr(i + 2, close - i - 2));
      if (name.empty() || !ident_start(name[0]) ||
          !std::all_of(name.begin(), name.end(), ident_char))
        return Error::invalid(
            "invalid '${...}': a variable name is letters, digits and '_', not starting with a "
            "digit");
      const auto value = env(name);
      if (!value) return Error::invalid("environment variable '" + name + "' is not set");
      out += *value;
      i = close + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

}  // namespace passerelle::config
