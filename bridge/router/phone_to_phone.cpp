// Conversations between two phones (DESIGN.md §3, "Between carriers"; rcs.phones_may_start):
// a phone writes "@rcs:+33622222222 hello" to its carrier's chatbot; the message goes to
// that phone as an XMPP user's would (rcs.cpp: RCS through its carrier's platform, SMS
// where it cannot), from the writer's rcs puppet, so every later message threads like the
// others: each phone's (chatbot or sender number, phone) thread has the phone's own puppet
// as local and the other phone as remote.

#include <spdlog/spdlog.h>

#include "router/internal.hpp"
#include "router/router.hpp"

namespace passerelle {

bool Router::is_phone(const Address& a) {
  return (a.network == Network::rcs || a.network == Network::sms) && !a.id.empty() &&
         a.id.front() == '+';
}

// A phone given as rcs:+... or sms:+..., as the rcs puppet threads keep ("rcs:+E.164");
// any other address unchanged.
Result<Address> Router::as_phone_puppet(const Address& a) {
  if (!is_phone(a)) return a;
  auto phone = parse_phone_for_sms(a.id);
  if (!phone.ok()) return phone.error();
  return Address{Network::rcs, phone->e164};
}

bool Router::may_start_with_phone(const InboundMessage& m, const Address& target) const {
  return cfg_.rcs.phones_may_start && m.from.network == Network::rcs && is_phone(target) &&
         target.id != m.from.id;
}

void Router::start_phone_conversation(InboundMessage& m, const Address& target,
                                      const std::string& text,
                                      std::chrono::steady_clock::time_point t0) {
  // The writer's next messages on this chatbot go to the same phone without '@'.
  keep_thread(m.to.id, m.from.id, Address{Network::rcs, m.from.id}.str(), target.str(), {});
  spdlog::info("router: {} starts a conversation with {}", m.from.id, target.id);
  to_phone(m, target, text, t0);
}

void Router::to_phone(InboundMessage& m, const Address& target, const std::string& text,
                      std::chrono::steady_clock::time_point t0) {
  InboundMessage pm;
  pm.connector = m.connector;
  pm.from = Address{Network::rcs, m.from.id};  // the writing phone, as the other side sees it
  pm.to = Address{Network::rcs, target.id};
  pm.body = text;
  pm.attachments = m.attachments;
  pm.origin_id = m.origin_id;
  pm.received_ms = m.received_ms;
  pm.ack = std::move(m.ack);
  on_rcs_gateway_message(pm, t0);
}

}  // namespace passerelle
