#pragma once
// JIDs (RFC 7622 shapes, no stringprep) and the mapping between passerelle Addresses and
// the JIDs the XMPP side sees (DESIGN.md §3): xmpp addresses are real JIDs; every other
// network's address is a puppet on that network's component domain, its id escaped
// per XEP-0106 (`bob\40hotmail.com@msn.example.org`, `+33611111111@sms.example.org`).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "model/address.hpp"

namespace passerelle::xmpp {

struct Jid {
  std::string local;     // may be empty (a domain JID)
  std::string domain;    // lower-cased
  std::string resource;  // may be empty
  std::string bare() const;
  std::string full() const;
};

// Structural parse: domain required; localpart (when '@' is present) 1..1023 bytes
// without the characters XEP-0106 requires to be escaped, whitespace or controls;
// resource non-empty when '/' is present. nullopt for anything else.
std::optional<Jid> parse_jid(std::string_view s);

// XEP-0106 §4: escapes space " & ' / : < > @ and a backslash that starts an escape
// sequence. unescape reverses it (hex accepted in either case); other backslashes stay.
std::string escape_localpart(std::string_view s);
std::string unescape_localpart(std::string_view s);

// XEP-0100 prompt translation: what a user typed ("+33 6 11 11 11 11", "bob@hotmail.com")
// to the escaped localpart of the puppet. Phone separators (space . - ( ) /) are dropped
// for sms and rcs; other networks keep the text as typed.
std::string prompt_to_localpart(Network n, std::string_view prompt);

class AddressMap {
 public:
  // `bridge_domain` is bridge.domain; `served` the networks that have a component.
  AddressMap(std::string bridge_domain, std::vector<Network> served);

  const std::string& bridge_domain() const { return domain_; }
  const std::vector<Network>& served() const { return served_; }
  // "sms.example.org"
  std::string domain_of(Network n) const;
  // The served network whose component domain is `domain`, if any.
  std::optional<Network> network_of(std::string_view domain) const;

  // xmpp:alice@example.org -> "alice@example.org"; sms:+336.. -> "+336..@sms.<domain>".
  // not_found for a network without a component.
  Result<std::string> to_jid(const Address& a) const;
  // A JID (resource ignored) -> Address. A puppet on an sms/rcs domain keeps its
  // unescaped localpart as typed when it is not E.164 (the router normalises); on other
  // networks the id must pass make_address. invalid_input for a puppet domain without
  // localpart, or an id its network rejects.
  Result<Address> to_address(const Jid& j) const;
  Result<Address> to_address(std::string_view jid) const;

 private:
  std::string domain_;
  std::vector<Network> served_;
};

}  // namespace passerelle::xmpp
