#pragma once
// Address = network + canonical id (DESIGN.md §2), written "network:id".

#include <compare>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "model/network.hpp"

namespace passerelle {

struct Address {
  Network network = Network::xmpp;
  std::string id;  // canonical form for its network

  std::string str() const;  // "sms:+33612345678"
  friend bool operator==(const Address&, const Address&) = default;
  friend auto operator<=>(const Address&, const Address&) = default;
};

// Canonicalises `id` for `n`: screen names lower-case without spaces, ICQ UIN digits,
// e-mail and bare JIDs lower-cased (JID resource dropped), phone numbers must already
// be E.164 ("+" and 8-15 digits); use PhoneNumbers to get there from user input.
Result<Address> make_address(Network n, std::string_view id);
// Parses "network:id".
Result<Address> parse_address(std::string_view text);

// A bare JID check shared by the XMPP side: localpart@domain (localpart optional).
bool looks_like_jid(std::string_view s);

}  // namespace passerelle

template <>
struct std::hash<passerelle::Address> {
  size_t operator()(const passerelle::Address& a) const noexcept {
    return std::hash<std::string>{}(a.id) ^
           (static_cast<size_t>(a.network) * 0x9e3779b97f4a7c15ULL);
  }
};
