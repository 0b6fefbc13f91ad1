#include "router/directory.hpp"

#include <algorithm>
#include <cctype>

namespace passerelle {
namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}
}  // namespace

Directory::Directory(const config::Config& cfg) : default_cap_(cfg.sms.default_monthly_cap) {
  for (const auto& j : cfg.access.allow_jids) allow_jids_.insert(lower(j));
  for (const auto& d : cfg.access.allow_domains) allow_domains_.insert(lower(d));
}

void Directory::put(Person p) {
  remove(p.name);
  for (const auto& a : p.addresses) by_address_[a] = p.name;
  if (!p.phone.empty()) by_address_[Address{Network::sms, p.phone}] = p.name;
  // Their linked accounts stay theirs when their details change.
  if (auto mine = person_accounts_.find(p.name); mine != person_accounts_.end())
    for (const auto& a : mine->second) by_address_[a] = p.name;
  const std::string name = p.name;
  people_[name] = std::move(p);
}

void Directory::remove(const std::string& name) {
  auto it = people_.find(name);
  if (it == people_.end()) return;
  for (auto a = by_address_.begin(); a != by_address_.end();)
    a = a->second == name ? by_address_.erase(a) : std::next(a);
  people_.erase(it);
}

const Person* Directory::person(const std::string& name) const {
  auto it = people_.find(name);
  return it == people_.end() ? nullptr : &it->second;
}

const Person* Directory::person_of(const Address& a) const {
  auto it = by_address_.find(a);
  return it == by_address_.end() ? nullptr : person(it->second);
}

void Directory::add_account(const Address& account, const std::string& connector,
                            const std::string& person_name) {
  accounts_[account] = connector;
  if (person_name.empty()) return;
  by_address_.emplace(account, person_name);
  auto& mine = person_accounts_[person_name];
  if (std::find(mine.begin(), mine.end(), account) == mine.end()) mine.push_back(account);
}

void Directory::add_gateway(const Address& account, const std::string& connector,
                            const std::vector<std::string>& allow) {
  accounts_[account] = connector;
  gateways_[account] = std::set<std::string>(allow.begin(), allow.end());
}

bool Directory::gateway_allows(const Address& gateway, const Address& contact) const {
  auto it = gateways_.find(gateway);
  // AIM and ICQ users write to each other's accounts (both OSCAR).
  auto oscar = [](Network n) { return n == Network::aim || n == Network::icq; };
  const bool same_network =
      contact.network == gateway.network || (oscar(contact.network) && oscar(gateway.network));
  return it != gateways_.end() && same_network && it->second.count(contact.id) > 0;
}

void Directory::remove_account(const Address& account) {
  accounts_.erase(account);
  gateways_.erase(account);
  online_.erase(account);
  auto owner = by_address_.find(account);
  if (owner == by_address_.end()) return;
  if (auto mine = person_accounts_.find(owner->second); mine != person_accounts_.end())
    std::erase(mine->second, account);
  by_address_.erase(owner);
}

std::optional<Address> Directory::account_on(const Person& p, Network network) const {
  auto it = person_accounts_.find(p.name);
  if (it == person_accounts_.end()) return std::nullopt;
  for (const auto& a : it->second)
    if (a.network == network) return a;
  return std::nullopt;
}

Address Directory::home_of(const Person& p) const {
  for (const auto& a : p.addresses)
    if (a.network == Network::xmpp) return a;
  return Address{Network::xmpp, ""};
}

std::optional<PresenceState> Directory::home_presence(const Address& home) const {
  auto it = home_.find(home);
  if (it == home_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Directory::account_connector(const Address& account) const {
  auto it = accounts_.find(account);
  if (it == accounts_.end()) return std::nullopt;
  return it->second;
}

bool Directory::clients_online(const Address& account) const {
  auto it = online_.find(account);
  // Unknown means the account's connector has not logged in yet: assume the person may
  // be online rather than send an SMS they would not want.
  return it == online_.end() ? true : it->second;
}

bool Directory::person_online(const Person& p) const {
  bool known = false;
  for (const auto& a : p.addresses) {
    if (is_account(a)) {
      known = true;
      if (clients_online(a)) return true;
    }
    if (auto h = home_presence(a)) {
      known = true;
      if (is_online(*h)) return true;
    }
  }
  // Nothing known yet (no client-mode account, no presence seen): assume online rather
  // than send an SMS the person would not want.
  return !known;
}

bool Directory::allowed(const Address& user) const {
  if (user.network != Network::xmpp) return false;
  if (allow_jids_.count(user.id)) return true;
  const auto at = user.id.find('@');
  const std::string domain = at == std::string::npos ? user.id : user.id.substr(at + 1);
  return allow_domains_.count(domain) > 0;
}

std::string Directory::payer_for(const Address& user) const {
  if (const Person* p = person_of(user)) return p->name;
  return user.str();
}

std::int64_t Directory::cap_for(const std::string& payer) const {
  if (const Person* p = person(payer)) return p->monthly_cap;
  return default_cap_;
}

Person person_from_row(const store::PersonRow& row) {
  Person p{row.name, row.phone, row.sms_fallback, row.monthly_cap, row.source, {}};
  for (const auto& a : row.addresses)
    if (auto addr = parse_address(a); addr.ok()) p.addresses.push_back(*addr);
  return p;
}

store::PersonRow row_from_person(const Person& p) {
  store::PersonRow r{p.name, p.phone, p.sms_fallback, p.monthly_cap, p.source, {}};
  for (const auto& a : p.addresses) r.addresses.push_back(a.str());
  return r;
}

}  // namespace passerelle
