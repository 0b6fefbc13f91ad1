#include "msn/session/passport_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include "msn/codec/passport.hpp"

namespace passerelle::msn {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct Target {
  bool tls = true;
  std::string host;
  std::string port;
  std::string path;  // with query
};

Result<Target> parse_target(std::string_view url) {
  auto u = boost::urls::parse_uri(url);
  if (!u) return Error::invalid("login URL '" + std::string(url) + "' is not a URL");
  Target t;
  const auto scheme = u->scheme();
  if (scheme == "https") {
    t.tls = true;
  } else if (scheme == "http") {
    t.tls = false;
  } else {
    return Error::invalid("login URL must be https:// (http:// on loopback only)");
  }
  t.host = std::string(u->host_address());
  if (!t.tls && !is_loopback_host(t.host))
    return Error::invalid("plain http:// is only allowed to a loopback login server, not " +
                          t.host);
  t.port = u->has_port() ? std::string(u->port()) : (t.tls ? "443" : "80");
  t.path = std::string(u->encoded_target());
  if (t.path.empty()) t.path = "/";
  return t;
}

struct Reply {
  unsigned status = 0;
  std::string passport_urls, auth_info, www_auth, location;
};

template <typename Stream>
asio::awaitable<Result<Reply>> exchange(Stream& s, const Target& t, const std::string& auth) {
  http::request<http::empty_body> req{http::verb::get, t.path, 11};
  // RFC 9110 §7.2: the port when it is not the scheme's, an IPv6 address in brackets.
  std::string host = t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host;
  if (t.port != (t.tls ? "443" : "80")) host += ":" + t.port;
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "MSN Explorer/9.0 (MSN 8.0; TmstmpExt)");
  if (!auth.empty()) req.set(http::field::authorization, auth);
  auto [wec, wn] = co_await http::async_write(s, req, use_tuple);
  if (wec) co_return Error::transient("login server: write: " + wec.message());
  beast::flat_buffer buf;
  http::response_parser<http::string_body> p;
  p.body_limit(64 * 1024);
  p.header_limit(16 * 1024);
  auto [rec, rn] = co_await http::async_read(s, buf, p, use_tuple);
  if (rec) co_return Error::transient("login server: read: " + rec.message());
  const auto& res = p.get();
  Reply r;
  r.status = res.result_int();
  if (auto it = res.find("PassportURLs"); it != res.end()) r.passport_urls = it->value();
  if (auto it = res.find("Authentication-Info"); it != res.end()) r.auth_info = it->value();
  if (auto it = res.find(http::field::www_authenticate); it != res.end()) r.www_auth = it->value();
  if (auto it = res.find(http::field::location); it != res.end()) r.location = it->value();
  co_return r;
}

asio::awaitable<Result<Reply>> get(asio::any_io_executor ex, asio::ssl::context& tls,
                                   const Target& t, const std::string& auth,
                                   std::chrono::seconds timeout) {
  asio::ip::tcp::resolver resolver(ex);
  auto [rerr, eps] = co_await resolver.async_resolve(t.host, t.port, use_tuple);
  if (rerr) co_return Error::transient("login server " + t.host + ": " + rerr.message());
  if (!t.tls) {
    beast::tcp_stream s(ex);
    s.expires_after(timeout);
    auto [cec, ep] = co_await s.async_connect(eps, use_tuple);
    if (cec) co_return Error::transient("login server " + t.host + ": " + cec.message());
    auto r = co_await exchange(s, t, auth);
    beast::error_code ignored;
    s.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    co_return r;
  }
  beast::ssl_stream<beast::tcp_stream> s(ex, tls);
  // The certificate must name the host of the URL: its DNS name (also sent as SNI) or, for
  // an IP address, that address (no SNI: RFC 6066 3). OpenSSL checks it while verifying
  // the chain, so a mismatch is reported as such.
  boost::system::error_code not_ip;
  asio::ip::make_address(t.host, not_ip);
  X509_VERIFY_PARAM* param = SSL_get0_param(s.native_handle());
  if (not_ip) {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (!SSL_set_tlsext_host_name(s.native_handle(), t.host.c_str()) ||
        X509_VERIFY_PARAM_set1_host(param, t.host.c_str(), t.host.size()) != 1)
      co_return Error::transient("TLS: cannot set the server name " + t.host);
  } else if (X509_VERIFY_PARAM_set1_ip_asc(param, t.host.c_str()) != 1) {
    co_return Error::transient("TLS: cannot set the server address " + t.host);
  }
  beast::get_lowest_layer(s).expires_after(timeout);
  auto [cec, ep] = co_await beast::get_lowest_layer(s).async_connect(eps, use_tuple);
  if (cec) co_return Error::transient("login server " + t.host + ": " + cec.message());
  auto [hec] = co_await s.async_handshake(asio::ssl::stream_base::client, use_tuple);
  if (hec) {
    // "certificate verify failed" alone does not say what to fix: add OpenSSL's reason
    // (unable to get local issuer certificate, IP address mismatch, expired, ...).
    const long verify = SSL_get_verify_result(s.native_handle());
    co_return Error::transient(
        "login server " + t.host + ": TLS: " + hec.message() +
        (verify == X509_V_OK ? "" : std::string(": ") + X509_verify_cert_error_string(verify)));
  }
  auto r = co_await exchange(s, t, auth);
  co_return r;
}

}  // namespace

asio::awaitable<Result<std::string>> fetch_passport_ticket(asio::any_io_executor ex,
                                                           asio::ssl::context& tls,
                                                           PassportRequest req) {
  auto target = parse_target(req.login_url);
  if (!target) co_return target.error();
  const bool nexus = target->path.find(".srf") == std::string::npos;
  if (nexus) {
    auto r = co_await get(ex, tls, *target, {}, req.timeout);
    if (!r) co_return r.error();
    if (r->status != 200 || r->passport_urls.empty())
      co_return Error::transient("Passport nexus answered HTTP " + std::to_string(r->status) +
                                 " without PassportURLs");
    auto da = parse_dalogin(r->passport_urls);
    if (!da) co_return da.error();
    std::string url = *da;
    // The nexus names a bare host (made https:// by parse_dalogin). A loopback test nexus on
    // plain http gets its loopback login page on plain http too.
    auto dat = parse_target(url);
    if (dat && !target->tls && is_loopback_host(dat->host)) url.replace(0, 5, "http");
    auto t2 = parse_target(url);
    if (!t2) co_return t2.error();
    target = std::move(*t2);
  }
  const std::string auth = passport_authorization(req.sign_in, req.password, req.challenge);
  for (int hop = 0; hop < 4; ++hop) {
    auto r = co_await get(ex, tls, *target, auth, req.timeout);
    if (!r) co_return r.error();
    const std::string& hdr = r->status == 401 ? r->www_auth : r->auth_info;
    if (hdr.empty()) {
      if (r->status == 401) co_return Error::forbidden("Passport refused the sign-in");
      co_return Error::transient("Passport login page answered HTTP " + std::to_string(r->status));
    }
    auto out = parse_passport_outcome(hdr);
    if (!out) co_return Error::transient("Passport: " + out.error().message);
    switch (out->status) {
      case PassportOutcome::Status::success:
        if (out->ticket.empty()) co_return Error::transient("Passport gave no ticket");
        co_return std::move(out->ticket);
      case PassportOutcome::Status::failed:
        co_return Error::forbidden(out->reason.empty() ? "wrong password"
                                                       : "wrong password: " + out->reason);
      case PassportOutcome::Status::redirect: {
        if (r->location.empty()) co_return Error::transient("Passport redirect without Location");
        auto t = parse_target(r->location);
        if (!t) co_return t.error();
        target = std::move(*t);
        break;
      }
    }
  }
  co_return Error::transient("Passport: too many redirects");
}

}  // namespace passerelle::msn
