#include <fmt/format.h>
#include <fmt/ranges.h>

#include <climits>
#include <map>

#include "config/schema.hpp"
#include "config/suggest.hpp"
#include "model/address.hpp"

namespace passerelle::config::detail {
namespace {

// Networks a component may serve as a subdomain of bridge.domain (xmpp is the server
// itself, not a subdomain).
const std::vector<std::string> kSubdomainNetworks = {"sms", "rcs", "aim", "icq", "msn"};

// Names must be unique across an array of tables: remembers each and where it was.
Check unique_name(std::map<std::string, std::uint32_t>& seen, Reader& r, const char* what) {
  return [&seen, &r, what](std::string& v) -> std::string {
    if (v.empty()) return "must not be empty";
    const toml::node* n = r.node("name");
    auto [it, fresh] = seen.emplace(v, n != nullptr ? n->source().begin.line : 0);
    if (fresh) return {};
    return fmt::format("{} \"{}\" is already defined on line {}", what, v, it->second);
  };
}

void read_people(Reader& root, std::vector<PersonEntry>& people) {
  std::map<std::string, std::uint32_t> names;
  std::map<std::string, std::string> owners;  // address -> person
  for (Reader& r : root.tables("people")) {
    PersonEntry p;
    r.require("name");
    r.string("name", p.name, unique_name(names, r, "person"));
    r.require("phone");
    r.string("phone", p.phone, check_e164);
    r.boolean("sms_fallback", p.sms_fallback);
    r.integer("monthly_cap", p.monthly_cap, 0, INT64_MAX);
    r.strings(
        "addresses", p.addresses,
        [&](std::string& v) -> std::string {
          auto a = parse_address(v);
          if (!a) return a.error().message;
          v = a->str();
          auto [it, fresh] = owners.emplace(v, p.name);
          if (fresh || it->second == p.name) return {};
          return fmt::format("\"{}\" already belongs to person \"{}\"", v, it->second);
        },
        /*unique=*/true);
    r.finish();
    people.push_back(std::move(p));
  }
}

void read_account(Reader& r, XmppAccount& a, std::map<std::string, std::uint32_t>& jids,
                  const std::vector<PersonEntry>& people) {
  r.require("jid");
  r.string("jid", a.jid, [&](std::string& v) -> std::string {
    if (auto problem = check_bare_jid(v); !problem.empty()) return problem;
    const toml::node* n = r.node("jid");
    auto [it, fresh] = jids.emplace(v, n != nullptr ? n->source().begin.line : 0);
    return fresh ? "" : fmt::format("account \"{}\" is already defined on line {}", v, it->second);
  });
  const bool password_ok = r.secret("password", a.password);
  if (a.password.empty() && (password_ok || (!r.has("password") && !r.has("password_file"))))
    r.error("password", "a password (password or password_file) is required");
  r.string("host", a.host,
           [](std::string& v) { return v.empty() ? std::string() : check_host(v); });
  r.integer("port", a.port, 1, 65535);
  r.string("resource", a.resource, check_non_empty);
  r.require("person");
  r.string("person", a.person, [&](std::string& v) -> std::string {
    std::vector<std::string> names;
    for (const auto& p : people) {
      if (p.name == v) return {};
      names.push_back(p.name);
    }
    return fmt::format("no [[people]] entry is named \"{}\"{}", v, did_you_mean(v, names));
  });
  r.choice("tls", a.tls, {"required", "optional", "disabled"});
  r.finish();
}

void read_xmpp(Reader r, XmppSection& x, const std::vector<PersonEntry>& people) {
  r.boolean("enabled", x.enabled);
  r.string("component_host", x.component_host, check_host);
  r.integer("component_port", x.component_port, 1, 65535);
  const bool secret_ok = r.secret("secret", x.secret);
  if (x.enabled && x.secret.empty() && secret_ok)
    r.error("secret",
            "the component secret is empty while xmpp.enabled is true; set secret or secret_file");
  r.strings(
      "networks", x.networks,
      [](std::string& v) -> std::string {
        for (const auto& n : kSubdomainNetworks)
          if (n == v) return {};
        return fmt::format("unknown network \"{}\"{} (known: {})", v,
                           did_you_mean(v, kSubdomainNetworks),
                           fmt::join(kSubdomainNetworks, ", "));
      },
      /*unique=*/true);
  r.integer("reconnect_initial_ms", x.reconnect_initial_ms, 1, INT_MAX);
  r.integer("reconnect_max_ms", x.reconnect_max_ms, 1, INT_MAX);
  check_order(r, "reconnect_initial_ms", x.reconnect_initial_ms, "reconnect_max_ms",
              x.reconnect_max_ms);
  std::map<std::string, std::uint32_t> jids;
  for (Reader& a : r.tables("accounts")) {
    XmppAccount account;
    read_account(a, account, jids, people);
    x.accounts.push_back(std::move(account));
  }
  r.finish();
}

void read_tariff(Reader& r, std::map<std::string, std::int64_t>& tariff) {
  Reader t = r.table("tariff");
  if (!t.present()) return;
  std::map<std::string, std::int64_t> out;
  t.entries([&](const toml::key& k, const toml::node& v, const std::string& path) {
    if (!is_number_prefix(k.str()))
      t.error_at(k.source(), path,
                 "a tariff key is a number prefix: \"+\" then up to 15 digits, e.g. \"+33\"");
    else if (v.as_integer() == nullptr || v.as_integer()->get() < 0)
      t.error_at(v.source(), path,
                 "expected a non-negative integer price, got " + describe_node(v));
    else
      out[std::string(k.str())] = v.as_integer()->get();
  });
  tariff = std::move(out);
}

// prefixes: prefix -> SMSC name, across all SMSCs (one prefix, one route).
void read_smsc(Reader& r, Smsc& s, std::map<std::string, std::uint32_t>& names,
               std::map<std::string, std::string>& prefixes) {
  r.require("name");
  r.string("name", s.name, unique_name(names, r, "SMSC"));
  r.string("host", s.host, check_host);
  r.integer("port", s.port, 1, 65535);
  r.string("system_id", s.system_id);
  r.secret("password", s.password);
  r.string("system_type", s.system_type);
  r.choice("bind", s.bind, {"transceiver", "transmitter+receiver"});
  r.strings(
      "prefixes", s.prefixes,
      [&](std::string& v) -> std::string {
        if (!is_number_prefix(v))
          return fmt::format("expected a number prefix (\"+\" then up to 15 digits), got \"{}\"",
                             v);
        auto [it, fresh] = prefixes.emplace(v, s.name);
        if (fresh || it->second == s.name) return {};
        return fmt::format("prefix \"{}\" is already routed to SMSC \"{}\"", v, it->second);
      },
      /*unique=*/true);
  if (r.has("prefixes") && s.prefixes.empty())
    r.error("prefixes", "an SMSC needs at least one prefix");
  if (!r.has("prefixes")) {
    for (const auto& p : s.prefixes) {
      auto [it, fresh] = prefixes.emplace(p, s.name);
      if (!fresh && it->second != s.name)
        r.error("prefixes",
                fmt::format("the default prefix \"{}\" is already routed to SMSC \"{}\"; "
                            "set prefixes",
                            p, it->second));
    }
  }
  r.integer("window", s.window, 1, 1024);
  r.number_above("throughput", s.throughput, 0, 1e6);
  r.integer("enquire_link_s", s.enquire_link_s, 1, 3600);
  r.integer("response_timeout_s", s.response_timeout_s, 1, 3600);
  r.integer("part_hold_ms", s.part_hold_ms, 0, 10000);
  r.integer("reconnect_initial_ms", s.reconnect_initial_ms, 1, INT_MAX);
  r.integer("reconnect_max_ms", s.reconnect_max_ms, 1, INT_MAX);
  check_order(r, "reconnect_initial_ms", s.reconnect_initial_ms, "reconnect_max_ms",
              s.reconnect_max_ms);
  r.boolean("delivery_receipts", s.delivery_receipts);
  read_tariff(r, s.tariff);
  r.finish();
}

void read_sms(Reader r, SmsSection& s) {
  r.boolean("enabled", s.enabled);
  r.strings("sender_numbers", s.sender_numbers, check_e164, /*unique=*/true);
  if (s.enabled && s.sender_numbers.empty() && r.has("sender_numbers"))
    r.error("sender_numbers", "at least one sender number is needed while sms.enabled is true");
  r.boolean("prefix_sender", s.prefix_sender);
  r.integer("reassembly_timeout_s", s.reassembly_timeout_s, 1, 86400);
  r.integer("default_monthly_cap", s.default_monthly_cap, 0, INT64_MAX);
  r.string("help_text", s.help_text, check_non_empty);
  std::map<std::string, std::uint32_t> names;
  std::map<std::string, std::string> prefixes;
  for (Reader& t : r.tables("smsc")) {
    Smsc smsc;
    read_smsc(t, smsc, names, prefixes);
    s.smsc.push_back(std::move(smsc));
  }
  r.finish();
  if (s.enabled && s.smsc.empty())
    r.warn("enabled", "sms.enabled is true but no [[sms.smsc]] is configured: no SMS can be sent");
}

}  // namespace

void read_networks(Reader& root, Config& c) {
  read_people(root, c.people);  // first: xmpp.accounts refer to people by name
  read_xmpp(root.table("xmpp"), c.xmpp, c.people);
  read_sms(root.table("sms"), c.sms);
}

}  // namespace passerelle::config::detail
