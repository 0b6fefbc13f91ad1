#pragma once
// One linked XMPP account logged in as an extra resource (client mode, DESIGN.md §3).
// It must not take messages from the person's own clients: it announces priority -1
// while another resource of the account with priority >= 0 is online (RFC 6121 §8.5.2:
// bare-JID messages go to the highest non-negative priority), and 0 while none is, so
// the server then hands it the messages. It never enables carbons. It reports the
// person's own reachability as InboundPresence{who = observer = the account}, and a
// contact coming online (no client of theirs online before) as InboundPresence{who =
// contact, observer = the account}, which only sends again what bounced while they were
// away.
// No I/O: the connector feeds it stanzas from its Link.

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "jid.hpp"
#include "session_env.hpp"
#include "xml.hpp"

namespace passerelle::xmpp {

struct ClientOptions {
  std::string connector_name = "xmpp-client";
  Jid account;                             // with our resource
  std::chrono::milliseconds settle{3000};  // wait this long at most for the others' presence
};

class ClientSession {
 public:
  using Clock = std::chrono::steady_clock;
  ClientSession(ClientOptions opts, SessionEnv env);

  const Jid& account() const { return opts_.account; }
  Address address() const { return Address{Network::xmpp, bare_}; }

  // Stream up: announce ourselves at -1 and ask the server a question whose answer
  // tells us it has sent the presence of the other resources (it answers in order).
  void on_up(Clock::time_point now);
  void on_down();
  void on_stanza(const xml::Element& stanza);
  void tick(Clock::time_point now);
  // When tick() next has something to do; time_point::max() when nothing is scheduled.
  Clock::time_point next_deadline() const;
  Result<std::string> send(const OutboundEvent& event);

  bool others_online() const { return !others_.empty(); }
  int priority() const { return sent_priority_.value_or(-1); }
  bool settled() const { return settled_; }

 private:
  void settle();
  void apply();  // send presence / publish when the picture changed
  void on_message(const xml::Element& m);
  void on_presence(const xml::Element& p);
  void on_iq(const xml::Element& iq);

  ClientOptions opts_;
  SessionEnv env_;
  std::string bare_;
  std::set<std::string> others_;  // other resources of the account with priority >= 0
  // Contacts (bare JID) with a client online, and those clients' resources.
  std::unordered_map<std::string, std::set<std::string>> contacts_online_;
  std::optional<int> sent_priority_;
  std::optional<bool> reported_;  // last others_online() published
  bool settled_ = false;
  bool online_ = false;
  std::string settle_id_;
  Clock::time_point settle_deadline_{};
};

}  // namespace passerelle::xmpp
