#include "rcs/session/url.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <charconv>

namespace passerelle::rcs {

namespace {

Error bad(std::string_view what, std::string words) {
  return Error::invalid("rcs " + std::string(what) + ": " + std::move(words));
}

}  // namespace

std::string Origin::host_header() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? "443" : "80")) out += ":" + port;
  return out;
}

Result<HttpUrl> parse_http_url(std::string_view url, std::string_view what) {
  auto u = boost::urls::parse_uri(url);
  if (!u) return bad(what, "not an absolute URL");
  HttpUrl out;
  if (u->scheme_id() == boost::urls::scheme::https) {
    out.origin.tls = true;
  } else if (u->scheme_id() == boost::urls::scheme::http) {
    out.origin.tls = false;
  } else {
    return bad(what, "must be https:// (http:// to a loopback host only)");
  }
  if (u->has_userinfo()) return bad(what, "must not carry a user name or password");
  out.origin.host = std::string(u->host_address());
  if (out.origin.host.empty()) return bad(what, "has no host");
  if (!out.origin.tls && !is_loopback_host(out.origin.host))
    return bad(what, "plain http:// is only allowed to a loopback host, not " + out.origin.host);
  if (u->has_port()) {
    const auto p = u->port();
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || n == 0 || n > 65535)
      return bad(what, "port '" + std::string(p) + "' is not 1 to 65535");
    out.origin.port = std::to_string(n);
  } else {
    out.origin.port = out.origin.tls ? "443" : "80";
  }
  out.path = std::string(u->encoded_path());
  if (out.path.empty()) out.path = "/";
  out.has_query = u->has_query();
  out.target = out.path;
  if (out.has_query) out.target += "?" + std::string(u->encoded_query());
  return out;
}

}  // namespace passerelle::rcs
