#pragma once
// The URLs the RCS session may use: the platform's API URL (configuration) and the content
// URLs of files (webhook events). Only http and https; plain http only to a loopback host
// (a test platform on the same machine), so that a bearer token never crosses a network in
// clear. No user information in the URL (credentials belong in the configuration).

#include <string>
#include <string_view>

#include "common/loopback.hpp"
#include "core/result.hpp"

namespace passerelle::rcs {

// Scheme, host and port: what a pooled connection is for (RFC 6454 origin).
struct Origin {
  bool tls = true;
  std::string host;  // a DNS name, or an IP address (IPv6 without brackets)
  std::string port;  // always set ("443", "80" when the URL has none)

  // The Host header (RFC 9110 §7.2): the port only when it is not the scheme's, an IPv6
  // address in brackets.
  std::string host_header() const;
  bool operator==(const Origin&) const = default;
};

struct HttpUrl {
  Origin origin;
  std::string path;    // percent-encoded, "/" at least
  std::string target;  // path and query, as sent in the request line
  bool has_query = false;
};

// `what` names the URL in errors ("api_url", "file URL"). invalid_input when it is not an
// absolute http(s) URL with a host, has user information, is http to a non-loopback host,
// or has a port that is not 1 to 65535.
Result<HttpUrl> parse_http_url(std::string_view url, std::string_view what);

// is_loopback_host: common/loopback.hpp (localhost, 127.0.0.0/8, ::1, ::ffff:127.x.y.z).

}  // namespace passerelle::rcs
