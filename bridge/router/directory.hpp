#pragma once
// Who is who (DESIGN.md §2, §3): the people the bridge knows, their addresses, the
// linked accounts it logs into for them and which connector serves each, whether their
// own clients are online, and who may use the bridge at all. Core strand only.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "model/address.hpp"
#include "model/presence.hpp"
#include "store/records.hpp"

namespace passerelle {

struct Person {
  std::string name;
  std::string phone;  // E.164 or empty
  bool sms_fallback = true;
  std::int64_t monthly_cap = 0;  // 0: none
  std::string source = "config";
  std::vector<Address> addresses;
};

class Directory {
 public:
  explicit Directory(const config::Config& cfg);

  void put(Person p);
  void remove(const std::string& name);
  const Person* person(const std::string& name) const;
  const Person* person_of(const Address& a) const;
  std::size_t size() const { return people_.size(); }

  // Linked accounts: the connector that logs into `account`.
  void add_account(const Address& account, const std::string& connector, const std::string& person);
  void remove_account(const Address& account);
  std::optional<std::string> account_connector(const Address& account) const;
  bool is_account(const Address& a) const { return accounts_.count(a) > 0; }

  // Gateway accounts: the bridge's own, through which the contacts in `allow` reach phones.
  void add_gateway(const Address& account, const std::string& connector,
                   const std::vector<std::string>& allow);
  bool is_gateway(const Address& a) const { return gateways_.count(a) > 0; }
  bool gateway_allows(const Address& gateway, const Address& contact) const;

  // The person's linked account on `network` (AIM, ICQ, MSN, ...), if any.
  std::optional<Address> account_on(const Person& p, Network network) const;
  // The person's home address: the XMPP JID their own clients use, where their linked
  // accounts' contacts appear as puppets. Empty id if they have none.
  Address home_of(const Person& p) const;
  // Presence of a person's home JID as the XMPP component sees it.
  void set_home_presence(const Address& home, PresenceState state) { home_[home] = state; }
  std::optional<PresenceState> home_presence(const Address& home) const;

  // Whether any of the person's own clients is online on `account`.
  void set_clients_online(const Address& account, bool online) { online_[account] = online; }
  bool clients_online(const Address& account) const;
  // Online anywhere: any account of the person has a client online.
  bool person_online(const Person& p) const;

  // [access]: the bridge serves only these users.
  bool allowed(const Address& user) const;

  // What a payer is called in charging records, and their cap.
  std::string payer_for(const Address& user) const;
  std::int64_t cap_for(const std::string& payer) const;

 private:
  std::map<std::string, Person> people_;
  std::map<Address, std::string> by_address_;
  std::map<Address, std::string> accounts_;
  std::map<Address, bool> online_;
  std::map<std::string, std::vector<Address>> person_accounts_;  // person -> linked accounts
  std::map<Address, PresenceState> home_;
  std::map<Address, std::set<std::string>> gateways_;  // account -> contact ids allowed
  std::set<std::string> allow_jids_;
  std::set<std::string> allow_domains_;
  std::int64_t default_cap_ = 0;
};

Person person_from_row(const store::PersonRow& row);
store::PersonRow row_from_person(const Person& p);

}  // namespace passerelle
