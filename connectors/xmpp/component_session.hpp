#pragma once
// One XEP-0114 component: the gateway for one network at `<network>.<bridge.domain>`
// (DESIGN.md §3, §6). Turns stanzas from users into passerelle events and outbound
// events into stanzas from puppets. No I/O: the connector feeds it stanzas from its Link
// and gives it a SessionEnv; unit tests do the same with fakes.

#include <deque>
#include <map>
#include <string>
#include <utility>

#include "config/config.hpp"
#include "inbound.hpp"
#include "jid.hpp"
#include "session_env.hpp"
#include "xml.hpp"

namespace passerelle::xmpp {

struct ComponentOptions {
  std::string connector_name = "xmpp";
  Network network = Network::sms;
  const AddressMap* map = nullptr;  // outlives the session
  config::AccessSection access;     // who gets subscriptions auto-accepted
};

class ComponentSession {
 public:
  ComponentSession(ComponentOptions opts, SessionEnv env);

  const std::string& domain() const { return domain_; }
  Network network() const { return opts_.network; }

  // A stanza the server routed to this component (message, presence or iq).
  void on_stanza(const xml::Element& stanza);
  // An outbound event whose `from` is on this network. Returns the stanza id sent (for
  // messages, the network id of the delivery) or why nothing was sent.
  Result<std::string> send(const OutboundEvent& event);

  // Whether a bare JID may use the bridge (access.allow_jids / allow_domains).
  bool allowed(const Jid& user) const;

 private:
  void on_message(const xml::Element& m);
  void on_presence(const xml::Element& p);
  void on_iq(const xml::Element& iq);
  void on_domain_iq(const xml::Element& iq, const Jid& from, const std::string& type,
                    const xml::Element* payload);
  void on_register(const xml::Element& iq, const Jid& from);
  void on_gateway(const xml::Element& iq, const std::string& type, const xml::Element& query);
  xml::Element domain_info() const;
  xml::Element puppet_info() const;
  bool always_reachable() const;  // puppets on sms/rcs: a phone is always reachable
  // Which resource wrote a message: errors and receipts go back to it, because a
  // type='error' message to a bare JID is dropped by the server (RFC 6121 §8.5.2.1.1).
  void remember_sender(const std::string& user_bare, const std::string& origin_id,
                       const std::string& full);
  std::string sender_of(const std::string& user_bare, const std::string& origin_id) const;
  static constexpr std::size_t kSendersKept = 4096;
  // The best presence of a user's resources, after this stanza from `resource`. `key`:
  // observer and bare JID (presence may be broadcast to the gateway or directed to a
  // puppet). Bounded: past the limits, a presence passes as it is.
  Presence user_presence(const std::string& key, const std::string& resource,
                         const PresenceStanza& pr);
  static constexpr std::size_t kUsersTracked = 65536;
  static constexpr std::size_t kResourcesPerUser = 32;

  ComponentOptions opts_;
  SessionEnv env_;
  std::string domain_;
  std::map<std::pair<std::string, std::string>, std::string>
      senders_;                                                    // (bare, origin id) -> full JID
  std::deque<std::pair<std::string, std::string>> senders_order_;  // oldest first
  std::map<std::string, std::map<std::string, Presence>> resources_;  // key -> resource -> presence
};

}  // namespace passerelle::xmpp
