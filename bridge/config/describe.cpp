#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "config/load.hpp"
#include "config/values.hpp"

namespace passerelle::config {
namespace {

const char* set(const std::string& secret) {
  return secret.empty() ? "(not set)" : "(set)";
}
const char* yes(bool b) {
  return b ? "yes" : "no";
}
std::string list(const std::vector<std::string>& v) {
  return v.empty() ? "(none)" : fmt::format("{}", fmt::join(v, ", "));
}

void describe_sms(std::string& out, const SmsSection& s) {
  out += fmt::format(
      "sms: {}, sender numbers {}, prefix sender {}, reassembly {} s, default monthly cap {}\n",
      s.enabled ? "enabled" : "disabled", list(s.sender_numbers), yes(s.prefix_sender),
      s.reassembly_timeout_s, s.default_monthly_cap);
  for (const auto& m : s.smsc) {
    std::vector<std::string> tariff;
    for (const auto& [prefix, price] : m.tariff)
      tariff.push_back(fmt::format("{}={}", prefix, price));
    out += fmt::format(
        "  smsc {}: {}:{}, system_id \"{}\", password {}, bind {}, window {}, {}/s, enquire_link "
        "{} s, "
        "response timeout {} s, part hold {} ms, reconnect {}..{} ms, receipts {}, tariff {}\n",
        m.name, m.host, m.port, m.system_id, set(m.password), m.bind, m.window, m.throughput,
        m.enquire_link_s, m.response_timeout_s, m.part_hold_ms, m.reconnect_initial_ms,
        m.reconnect_max_ms, yes(m.delivery_receipts), list(tariff));
  }
  // Routes as the router applies them: longest prefix first.
  std::vector<std::pair<std::string, std::string>> routes;
  for (const auto& m : s.smsc)
    for (const auto& p : m.prefixes) routes.emplace_back(p, m.name);
  std::sort(routes.begin(), routes.end(), [](const auto& a, const auto& b) {
    return a.first.size() != b.first.size() ? a.first.size() > b.first.size() : a.first < b.first;
  });
  out += fmt::format("routes: {}\n", routes.empty() ? "(none)" : "");
  for (const auto& [prefix, name] : routes) out += fmt::format("  {} -> {}\n", prefix, name);
}

void describe_accounts(std::string& out, const std::vector<LegacyAccount>& accounts,
                       const std::string& host, int port, bool oscar) {
  for (const auto& a : accounts)
    out += fmt::format(
        "  account {}:{} ({}): server {}:{}, {}, password {}\n", a.network, a.login,
        a.gateway ? fmt::format("gateway to phones for {}", list(a.allow)) : "person " + a.person,
        a.host.empty() ? host : a.host, a.port == 0 ? port : a.port,
        oscar ? "login " + a.login_method
              : std::string("SMS to offline contacts ") + yes(a.sms_to_offline_contacts),
        set(a.password));
}

void describe_rcs(std::string& out, const RcsSection& r) {
  out += fmt::format(
      "rcs: {}, webhook {}{}, capabilities trusted {} s, SMS fallback after {}, portability "
      "{}, phones may start conversations {}, {} platform(s)\n",
      r.enabled ? "enabled" : "disabled", r.webhook_listen,
      r.webhook_tls_cert_file.empty() ? "" : " (https)", r.capability_ttl_s,
      r.fallback_after_s == 0 ? std::string("never") : fmt::format("{} s", r.fallback_after_s),
      r.portability_file.empty() ? "(none)" : r.portability_file, yes(r.phones_may_start),
      r.platforms.size());
  for (const auto& p : r.platforms)
    out += fmt::format(
        "  platform {}: {} bot \"{}\"{}, {}, webhook {} ({}), ranges {}, files up to {} bytes, "
        "timeout {} ms, {} connection(s)\n",
        p.name, p.api_url, p.bot_id,
        p.pool_bots.empty() ? std::string() : fmt::format(" and pool {}", list(p.pool_bots)),
        p.client_secret.empty() ? fmt::format("token {}", set(p.token))
                                : std::string("tokens from the token endpoint"),
        p.webhook_path, p.webhook_unauthenticated ? "NOT authenticated" : "token set",
        list(p.ranges), p.max_file_size, p.timeout_ms, p.max_connections);
}

}  // namespace

std::string describe(const Config& c) {
  std::string out;
  out += fmt::format("config: {}\n", c.source_path.empty() ? "(built-in defaults)" : c.source_path);
  const auto& b = c.bridge;
  out += fmt::format(
      "bridge: domain {}, default country {}, fixed-line allowed {}, data dir {}, {} I/O "
      "thread(s)\n",
      b.domain, b.default_country, yes(b.allow_fixed_line), b.data_dir, b.io_threads);
  out += fmt::format("log: level {}, format {}\n", c.log.level, c.log.format);
  const auto listen = parse_listen(c.http.listen);
  out += fmt::format(
      "http: listen {} ({}), token {}, tls {}\n", c.http.listen,
      listen && listen->loopback ? "loopback" : "NOT loopback", set(c.http.token),
      c.http.tls_cert_file.empty() ? "off" : c.http.tls_cert_file + " / " + c.http.tls_key_file);
  const auto& st = c.store;
  out += fmt::format(
      "store: {}, batches of up to {} writes within {} ms, synchronous {}, key file {}\n", st.path,
      st.batch_max, st.batch_delay_ms, st.synchronous, st.key_file);
  const auto& d = c.delivery;
  out += fmt::format(
      "delivery: retry {}..{} ms, at most {} attempts, expire after {} s, on unknown outcome {}\n",
      d.retry_initial_ms, d.retry_max_ms, d.max_attempts, d.expire_after_s, d.on_unknown);
  out += fmt::format("files: {}, links {}/files/..., kept {} s, at most {} files and {} bytes\n",
                     c.files.dir, c.files.public_url, c.files.ttl_s, c.files.max_files,
                     c.files.max_bytes);
  out += fmt::format("access: JIDs {}; domains {}\n", list(c.access.allow_jids),
                     list(c.access.allow_domains));
  const auto& x = c.xmpp;
  out += fmt::format(
      "xmpp: {}, component {}:{}, secret {}, networks {}, reconnect {}..{} ms, {} linked "
      "account(s)\n",
      x.enabled ? "enabled" : "disabled", x.component_host, x.component_port, set(x.secret),
      list(x.networks), x.reconnect_initial_ms, x.reconnect_max_ms, x.accounts.size());
  for (const auto& a : x.accounts)
    out += fmt::format("  account {} (person {}): server {}:{}, resource {}, tls {}, password {}\n",
                       a.jid, a.person, a.host.empty() ? "(from the JID)" : a.host, a.port,
                       a.resource, a.tls, set(a.password));
  describe_sms(out, c.sms);
  const auto& o = c.oscar;
  out += fmt::format(
      "oscar: {}, login server {}:{}, reconnect {}..{} ms, logins {} ms apart, {} "
      "account(s)\n",
      o.enabled ? "enabled" : "disabled", o.host, o.port, o.reconnect_initial_ms,
      o.reconnect_max_ms, o.login_interval_ms, o.accounts.size());
  describe_accounts(out, o.accounts, o.host, o.port, true);
  const auto& m = c.msn;
  out += fmt::format(
      "msn: {}, server {}:{}, login {}{}, up to {}, switchboards closed after {} s idle, reconnect "
      "{}..{} ms, logins {} ms apart, {} account(s)\n",
      m.enabled ? "enabled" : "disabled", m.host, m.port, m.login_url,
      m.login_ca_file.empty() ? "" : " (CA " + m.login_ca_file + ")", m.max_version,
      m.switchboard_idle_s, m.reconnect_initial_ms, m.reconnect_max_ms, m.login_interval_ms,
      m.accounts.size());
  describe_accounts(out, m.accounts, m.host, m.port, false);
  describe_rcs(out, c.rcs);
  out += fmt::format("people: {}\n", c.people.size());
  for (const auto& w : c.warnings) out += fmt::format("warning: {}\n", w);
  return out;
}

}  // namespace passerelle::config
