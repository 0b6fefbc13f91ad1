#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "config/schema.hpp"
#include "model/address.hpp"

namespace passerelle::config::detail {

std::string check_non_empty(std::string& v) {
  return v.empty() ? "must not be empty" : "";
}

std::string check_host(std::string& v) {
  if (looks_like_host(v)) return {};
  return fmt::format("expected a host name or IP address, got \"{}\"", v);
}

std::string check_e164(std::string& v) {
  if (is_e164(v)) return {};
  return fmt::format(
      "expected an E.164 number (\"+\" then 8 to 15 digits, the first not 0), got \"{}\"", v);
}

std::string check_bare_jid(std::string& v) {
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v.find('@') != std::string::npos && v.find('/') == std::string::npos && looks_like_jid(v))
    return {};
  return fmt::format("expected a bare JID like \"alice@example.org\", got \"{}\"", v);
}

void check_order(Reader& r, const char* min_key, int min, const char* max_key, int max) {
  if (max >= min) return;
  r.error(r.has(max_key) ? max_key : min_key,
          fmt::format("{} ({}) is less than {} ({})", r.key_path(max_key), max, r.key_path(min_key),
                      min));
}

bool read_existing_file(Reader& r, const char* key, std::string& out) {
  if (!r.file_path(key, out) || out.empty()) return false;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(out, ec)) {
    r.error(key, fmt::format("file '{}' does not exist or is not a regular file", out));
    return false;
  }
  errno = 0;
  std::FILE* f = std::fopen(out.c_str(), "rb");
  if (f == nullptr) {
    r.error(key, fmt::format("cannot read file '{}': {}", out,
                             errno != 0 ? std::strerror(errno) : "open failed"));
    return false;
  }
  std::fclose(f);
  return true;
}

std::string check_service_url(std::string& v) {
  const bool https = v.rfind("https://", 0) == 0;
  const bool http = v.rfind("http://", 0) == 0;
  if (!https && !http) return "expected an https:// URL (http:// only for a server on loopback)";
  const std::string rest = v.substr(https ? 8 : 7);
  // An IPv6 address keeps its brackets ("[::1]"); any other host ends at ':' or '/'.
  const auto close = rest.find(']');
  const std::string host = rest.starts_with('[') && close != std::string::npos
                               ? rest.substr(0, close + 1)
                               : rest.substr(0, rest.find_first_of(":/"));
  if (host.empty()) return "the URL has no host";
  if (http && host != "127.0.0.1" && host != "localhost" && host != "[::1]")
    return "secrets would cross the network in clear: use https:// (http:// is accepted "
           "only for 127.0.0.1, localhost or [::1])";
  return {};
}

// CA certificates for OpenSSL (the connector loads them at start-up): a file that holds
// no PEM certificate is reported here, with its position, rather than when the bridge starts.
void read_ca_file(Reader& r, const char* key, std::string& out) {
  if (!read_existing_file(r, key, out)) return;
  std::ifstream in(out, std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (text.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
    r.error(key,
            fmt::format("file '{}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)", out));
}

std::string check_listen(std::string& v) {
  auto l = parse_listen(v);
  return l ? std::string() : fmt::format("{}, got \"{}\"", l.error().message, v);
}

namespace {

std::string check_domain(std::string& v) {
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (looks_like_domain(v)) return {};
  return fmt::format("expected a domain name like \"example.org\", got \"{}\"", v);
}

std::string check_country(std::string& v) {
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::toupper(c); });
  if (v.size() == 2 && std::isalpha(static_cast<unsigned char>(v[0])) &&
      std::isalpha(static_cast<unsigned char>(v[1])))
    return {};
  return fmt::format("expected a two-letter ISO 3166 country code like \"FR\", got \"{}\"", v);
}

void read_bridge(Reader r, BridgeSection& b) {
  r.string("domain", b.domain, check_domain);
  r.string("default_country", b.default_country, check_country);
  r.boolean("allow_fixed_line", b.allow_fixed_line);
  r.string("data_dir", b.data_dir, check_non_empty);
  r.integer("io_threads", b.io_threads, 1, 64);
  r.finish();
}

void read_log(Reader r, LogSection& l) {
  r.choice("level", l.level, {"trace", "debug", "info", "warn", "error"});
  r.choice("format", l.format, {"text", "json"});
  r.finish();
}

void read_http(Reader r, HttpSection& h) {
  const bool listen_ok = r.string("listen", h.listen, check_listen) || !r.has("listen");
  r.secret("token", h.token, /*inline_ok=*/false);
  read_existing_file(r, "tls_cert_file", h.tls_cert_file);
  read_existing_file(r, "tls_key_file", h.tls_key_file);
  r.finish();

  // Safety rule: the admin endpoints leave loopback only behind a token and TLS.
  if (!listen_ok) return;
  auto listen = parse_listen(h.listen);
  if (!listen || listen->loopback) return;
  const toml::node* token_node = r.node("token_file");
  const bool token_given =
      !h.token.empty() || (token_node != nullptr && token_node->as_string() != nullptr &&
                           !token_node->as_string()->get().empty());
  std::vector<std::string> missing;
  if (!token_given) missing.push_back(r.key_path("token_file"));
  if (h.tls_cert_file.empty()) missing.push_back(r.key_path("tls_cert_file"));
  if (h.tls_key_file.empty()) missing.push_back(r.key_path("tls_key_file"));
  if (missing.empty()) return;
  r.error("listen",
          fmt::format(
              "\"{}\" is not a loopback address, so {}, {} and {} must all be set (missing: {})",
              h.listen, r.key_path("token_file"), r.key_path("tls_cert_file"),
              r.key_path("tls_key_file"), fmt::join(missing, ", ")));
}

void read_store(Reader r, StoreSection& s) {
  r.string("path", s.path, check_non_empty);
  r.integer("batch_max", s.batch_max, 1, 100000);
  r.integer("batch_delay_ms", s.batch_delay_ms, 0, 10000);
  r.choice("synchronous", s.synchronous, {"full", "normal"});
  r.string("key_file", s.key_file, check_non_empty);
  r.finish();
}

void read_files(Reader r, FilesSection& f) {
  r.string("dir", f.dir, check_non_empty);
  r.string("public_url", f.public_url, [](std::string& v) -> std::string {
    if (v.empty()) return {};
    while (!v.empty() && v.back() == '/') v.pop_back();
    return check_service_url(v);
  });
  r.integer("ttl_s", f.ttl_s, 60, INT_MAX);
  r.integer("max_files", f.max_files, 1, 10000000);
  r.integer("max_bytes", f.max_bytes, std::int64_t{1} << 20, std::int64_t{1} << 50);
  r.finish();
}

void read_delivery(Reader r, DeliverySection& d) {
  r.integer("retry_initial_ms", d.retry_initial_ms, 1, INT_MAX);
  r.integer("retry_max_ms", d.retry_max_ms, 1, INT_MAX);
  check_order(r, "retry_initial_ms", d.retry_initial_ms, "retry_max_ms", d.retry_max_ms);
  r.integer("max_attempts", d.max_attempts, 1, 1000);
  r.integer("expire_after_s", d.expire_after_s, 1, INT_MAX);
  r.choice("on_unknown", d.on_unknown, {"resend", "fail"});
  r.finish();
}

void read_access(Reader r, AccessSection& a) {
  r.strings("allow_jids", a.allow_jids, check_bare_jid, /*unique=*/true);
  r.strings("allow_domains", a.allow_domains, check_domain, /*unique=*/true);
  r.finish();
}

}  // namespace

void read_general(Reader& root, Config& c) {
  read_bridge(root.table("bridge"), c.bridge);
  read_log(root.table("log"), c.log);
  read_http(root.table("http"), c.http);
  read_store(root.table("store"), c.store);
  read_files(root.table("files"), c.files);
  read_delivery(root.table("delivery"), c.delivery);
  read_access(root.table("access"), c.access);
  // store.path is documented as relative to bridge.data_dir.
  if (std::filesystem::path(c.store.path).is_relative())
    c.store.path = (std::filesystem::path(c.bridge.data_dir) / c.store.path).string();
  if (std::filesystem::path(c.store.key_file).is_relative())
    c.store.key_file = (std::filesystem::path(c.bridge.data_dir) / c.store.key_file).string();
  if (std::filesystem::path(c.files.dir).is_relative())
    c.files.dir = (std::filesystem::path(c.bridge.data_dir) / c.files.dir).string();
  if (c.files.public_url.empty())
    c.files.public_url = (c.http.tls_cert_file.empty() ? "http://" : "https://") + c.http.listen;
}

}  // namespace passerelle::config::detail
