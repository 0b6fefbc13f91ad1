// [oscar] [[oscar.accounts]] [msn] [[msn.accounts]]: the AIM, ICQ and MSN accounts
// passerelle logs into for the people of [[people]] (DESIGN.md §3, linked accounts).

#include <fmt/format.h>

#include <climits>
#include <fstream>
#include <iterator>
#include <map>

#include "config/schema.hpp"
#include "config/suggest.hpp"
#include "model/address.hpp"

namespace passerelle::config::detail {
namespace {

std::string check_person(std::string& v, const std::vector<PersonEntry>& people) {
  std::vector<std::string> names;
  for (const auto& p : people) {
    if (p.name == v) return {};
    names.push_back(p.name);
  }
  return fmt::format("no [[people]] entry is named \"{}\"{}", v, did_you_mean(v, names));
}

// One account; `seen` maps "network:login" to the line that defined it.
void read_legacy_account(Reader& r, LegacyAccount& a, const std::vector<std::string>& networks,
                         const char* login_hint, std::map<std::string, std::uint32_t>& seen,
                         const std::vector<PersonEntry>& people, bool oscar) {
  if (networks.size() > 1) {
    r.require("network");
    r.choice("network", a.network, networks);
  } else {
    a.network = networks.front();
  }
  // An id on the account's network, made canonical ("Bob SN" -> "bobsn"), or why it is not one.
  auto canonical = [&](std::string& v) -> std::string {
    auto n = network_from_name(a.network);
    auto addr = n ? make_address(*n, v) : Result<Address>(Error::invalid("no network"));
    if (!addr.ok()) return addr.error().message + " (" + login_hint + ")";
    v = addr->id;
    return {};
  };
  r.require("login");
  r.string("login", a.login, [&](std::string& v) -> std::string {
    if (auto problem = canonical(v); !problem.empty()) return problem;
    const std::string key = a.network + ":" + v;
    const toml::node* node = r.node("login");
    auto [it, fresh] = seen.emplace(key, node != nullptr ? node->source().begin.line : 0);
    return fresh ? ""
                 : fmt::format("account \"{}\" is already defined on line {}", key, it->second);
  });
  const bool password_ok = r.secret("password", a.password);
  if (a.password.empty() && (password_ok || (!r.has("password") && !r.has("password_file"))))
    r.error("password", "a password (password or password_file) is required");
  r.boolean("gateway", a.gateway);
  if (!a.gateway) {
    r.require("person");
    r.string("person", a.person, [&](std::string& v) { return check_person(v, people); });
  } else if (r.node("person") != nullptr) {
    r.error("person",
            "a gateway account belongs to no person: remove person, or set gateway = false");
  }
  r.strings("allow", a.allow, canonical, /*unique=*/true);
  const toml::node* allow = r.node("allow");
  if (a.gateway && (allow == nullptr || (allow->as_array() && allow->as_array()->empty())))
    r.error(allow != nullptr ? "allow" : "gateway",
            "a gateway account needs allow = [...]: the contacts who may write to phones "
            "through it (the bridge is no open relay)");
  if (!a.gateway && r.has("allow"))
    r.error("allow", "allow applies to gateway accounts only (gateway = true)");
  r.string("host", a.host,
           [](std::string& v) { return v.empty() ? std::string() : check_host(v); });
  r.integer("port", a.port, 1, 65535);
  if (oscar)
    r.choice("login_method", a.login_method, {"md5", "password"});
  else
    r.boolean("sms_to_offline_contacts", a.sms_to_offline_contacts);
  r.finish();
}

void read_reconnect(Reader& r, int& initial, int& max) {
  r.integer("reconnect_initial_ms", initial, 1, INT_MAX);
  r.integer("reconnect_max_ms", max, 1, INT_MAX);
  check_order(r, "reconnect_initial_ms", initial, "reconnect_max_ms", max);
}

void read_oscar(Reader r, OscarSection& o, const std::vector<PersonEntry>& people) {
  r.boolean("enabled", o.enabled);
  r.string("host", o.host, check_host);
  r.integer("port", o.port, 1, 65535);
  read_reconnect(r, o.reconnect_initial_ms, o.reconnect_max_ms);
  r.integer("login_interval_ms", o.login_interval_ms, 0, 600000);
  std::map<std::string, std::uint32_t> seen;
  for (Reader& t : r.tables("accounts")) {
    LegacyAccount a;
    read_legacy_account(t, a, {"aim", "icq"}, "an AIM screen name or an ICQ number", seen, people,
                        /*oscar=*/true);
    o.accounts.push_back(std::move(a));
  }
  r.finish();
  if (o.enabled && o.accounts.empty())
    r.warn("enabled", "oscar.enabled is true but no [[oscar.accounts]] is configured");
}

void read_msn(Reader r, MsnSection& m, const std::vector<PersonEntry>& people) {
  r.boolean("enabled", m.enabled);
  r.string("host", m.host, check_host);
  r.integer("port", m.port, 1, 65535);
  r.string("login_url", m.login_url, check_service_url);
  read_ca_file(r, "login_ca_file", m.login_ca_file);
  r.choice("max_version", m.max_version, {"MSNP12", "MSNP11", "MSNP10", "MSNP9", "MSNP8"});
  r.integer("switchboard_idle_s", m.switchboard_idle_s, 1, 86400);
  read_reconnect(r, m.reconnect_initial_ms, m.reconnect_max_ms);
  r.integer("login_interval_ms", m.login_interval_ms, 0, 600000);
  std::map<std::string, std::uint32_t> seen;
  for (Reader& t : r.tables("accounts")) {
    LegacyAccount a;
    read_legacy_account(t, a, {"msn"}, "an MSN e-mail address", seen, people,
                        /*oscar=*/false);
    m.accounts.push_back(std::move(a));
  }
  r.finish();
  if (m.enabled && m.accounts.empty())
    r.warn("enabled", "msn.enabled is true but no [[msn.accounts]] is configured");
}

}  // namespace

void read_legacy(Reader& root, Config& c) {
  read_oscar(root.table("oscar"), c.oscar, c.people);
  read_msn(root.table("msn"), c.msn, c.people);
}

}  // namespace passerelle::config::detail
