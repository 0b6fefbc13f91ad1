#include <fmt/format.h>

#include <cctype>
#include <map>

#include "config/schema.hpp"
#include "config/values.hpp"
#include "core/percent.hpp"

namespace passerelle::config::detail {
namespace {

// Platform names become connector names ("rcs:<name>"), metric labels and webhook paths.
std::string check_platform_name(std::string& v) {
  if (v.empty() || v.size() > 64) return "expected 1 to 64 characters";
  for (unsigned char c : v)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.')
      return fmt::format("\"{}\": use letters, digits, '-', '_' or '.' only", v);
  return {};
}

std::string check_bot_id(std::string& v) {
  if (v.empty() || v.size() > 256) return "expected 1 to 256 characters";
  for (unsigned char c : v)
    if (c < 0x20 || c == 0x7f) return "control characters are not allowed";
  return {};
}

std::string check_webhook_path(std::string& v) {
  if (v.empty() || v.front() != '/') return "expected a path starting with '/', e.g. \"/rcs/a\"";
  if (v.size() > 256) return "longer than 256 characters";
  for (unsigned char c : v)
    if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#')
      return "a path of printable ASCII without spaces, '?' or '#'";
  return {};
}

void read_platform(Reader& r, RcsPlatform& p, std::map<std::string, std::uint32_t>& names,
                   std::map<std::string, std::string>& paths,
                   std::map<std::string, std::string>& ranges) {
  r.require("name");
  r.string("name", p.name, [&](std::string& v) -> std::string {
    if (auto problem = check_platform_name(v); !problem.empty()) return problem;
    const toml::node* n = r.node("name");
    auto [it, fresh] = names.emplace(v, n != nullptr ? n->source().begin.line : 0);
    return fresh ? "" : fmt::format("platform \"{}\" is already defined on line {}", v, it->second);
  });
  r.require("api_url");
  r.string("api_url", p.api_url, check_service_url);
  r.require("bot_id");
  r.string("bot_id", p.bot_id, check_bot_id);
  r.strings(
      "pool_bots", p.pool_bots,
      [&](std::string& v) -> std::string {
        if (auto problem = check_bot_id(v); !problem.empty()) return problem;
        if (v == p.bot_id) return fmt::format("\"{}\" is already the platform's bot_id", v);
        return {};
      },
      /*unique=*/true);
  const bool token_ok = r.secret("token", p.token);
  const bool secret_ok = r.secret("client_secret", p.client_secret);
  const bool token_given = r.has("token") || r.has("token_file");
  const bool secret_given = r.has("client_secret") || r.has("client_secret_file");
  if (p.token.empty() && p.client_secret.empty() && (token_ok || !token_given) &&
      (secret_ok || !secret_given))
    r.error(r.has("token") || r.has("token_file") ? "token" : "name",
            "a platform needs a bearer token (token, token_file) or a client_secret "
            "(client_secret, client_secret_file) for the token endpoint");
  read_ca_file(r, "ca_file", p.ca_file);
  p.webhook_path = "/rcs/" + p.name;
  r.string("webhook_path", p.webhook_path, check_webhook_path);
  if (auto [it, fresh] = paths.emplace(p.webhook_path, p.name); !fresh)
    r.error("webhook_path", fmt::format("\"{}\" is already the webhook path of platform \"{}\"",
                                        p.webhook_path, it->second));
  for (const auto& bot : p.pool_bots)  // each pool bot's events come to its own path
    if (auto [it, fresh] = paths.emplace(p.pool_webhook_path(bot), p.name); !fresh)
      r.error("pool_bots", fmt::format("the webhook path of pool bot \"{}\" is already used by "
                                       "platform \"{}\"",
                                       bot, it->second));
  const bool hook_ok = r.secret("webhook_token", p.webhook_token);
  r.boolean("webhook_unauthenticated", p.webhook_unauthenticated);
  const bool hook_given = r.has("webhook_token") || r.has("webhook_token_file");
  if ((hook_ok || !hook_given) && p.webhook_token.empty() && !p.webhook_unauthenticated)
    r.error(r.has("webhook_token") || r.has("webhook_token_file") ? "webhook_token" : "name",
            "events from the platform must be authenticated: set webhook_token (the "
            "Authorization header the platform sends, e.g. \"Bearer ...\") or webhook_token_file, "
            "or webhook_unauthenticated = true for a test platform");
  const bool ranges_ok = r.strings(
      "ranges", p.ranges,
      [&](std::string& v) -> std::string {
        if (!is_number_prefix(v))
          return fmt::format("expected a number prefix (\"+\" then up to 15 digits), got \"{}\"",
                             v);
        auto [it, fresh] = ranges.emplace(v, p.name);
        if (fresh || it->second == p.name) return {};
        return fmt::format("range \"{}\" is already served by platform \"{}\"", v, it->second);
      },
      /*unique=*/true);
  if (p.ranges.empty() && (ranges_ok || !r.has("ranges")))
    r.error(r.has("ranges") ? "ranges" : "name",
            "a platform serves at least one number range (ranges = [\"+3361\"])");
  r.integer("max_file_size", p.max_file_size, 1, 4LL * 1024 * 1024 * 1024);
  r.integer("timeout_ms", p.timeout_ms, 100, 600000);
  r.integer("max_connections", p.max_connections, 1, 64);
  r.finish();
}

}  // namespace

void read_rcs(Reader r, RcsSection& s) {
  r.boolean("enabled", s.enabled);
  r.string("webhook_listen", s.webhook_listen, check_listen);
  read_existing_file(r, "webhook_tls_cert_file", s.webhook_tls_cert_file);
  read_existing_file(r, "webhook_tls_key_file", s.webhook_tls_key_file);
  if (s.webhook_tls_cert_file.empty() != s.webhook_tls_key_file.empty())
    r.error(s.webhook_tls_cert_file.empty() ? "webhook_tls_cert_file" : "webhook_tls_key_file",
            "webhook_tls_cert_file and webhook_tls_key_file go together");
  r.integer("webhook_max_body", s.webhook_max_body, 1024, 16 * 1024 * 1024);
  r.integer("capability_ttl_s", s.capability_ttl_s, 0, 30 * 86400);
  r.integer("fallback_after_s", s.fallback_after_s, 0, 7 * 86400);
  r.boolean("phones_may_start", s.phones_may_start);
  if (r.has("portability_file")) read_existing_file(r, "portability_file", s.portability_file);
  std::map<std::string, std::uint32_t> names;
  std::map<std::string, std::string> paths, ranges;
  for (Reader& t : r.tables("platform")) {
    RcsPlatform p;
    read_platform(t, p, names, paths, ranges);
    s.platforms.push_back(std::move(p));
  }
  r.finish();
  if (s.enabled && s.platforms.empty())
    r.warn("enabled", "rcs.enabled is true but no [[rcs.platform]] is configured");
}

}  // namespace passerelle::config::detail

namespace passerelle::config {

std::string RcsPlatform::pool_webhook_path(const std::string& bot) const {
  return webhook_path + "/" + percent_encode(bot);
}

}  // namespace passerelle::config
