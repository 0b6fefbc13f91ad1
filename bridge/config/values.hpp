#pragma once
// Pure checks and transformations of single configuration values. No TOML, no I/O.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace passerelle::config {

// "+" then 8 to 15 digits, the first not 0. Syntax only: whether the number exists is
// the phone library's business.
bool is_e164(std::string_view s);

// "+" then 0 to 15 digits: a routing or tariff prefix ("+" alone matches everything).
bool is_number_prefix(std::string_view s);

// A DNS-ish domain: what a bare JID without localpart accepts, and no '@' or '/'.
bool looks_like_domain(std::string_view s);

// A host to connect to: a domain name or an IPv4/IPv6 literal (no brackets).
bool looks_like_host(std::string_view s);

struct ListenAddress {
  std::string host;  // without the IPv6 brackets
  int port = 0;
  bool loopback = false;  // 127.0.0.0/8, ::1 or "localhost"; any other name counts as not
};
// "host:port", IPv6 literals in brackets ("[::1]:8480"), port 1 to 65535.
Result<ListenAddress> parse_listen(std::string_view s);

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment.
std::optional<std::string> process_env(const std::string& name);

// Replaces each ${NAME} with the variable's value; "$${" is a literal "${". The error
// names the variable (or the syntax problem) but never repeats `text`, which may be a
// secret.
Result<std::string> expand_env(std::string_view text, const EnvLookup& env);

}  // namespace passerelle::config
