// Gateway accounts (gateway = true on [[oscar.accounts]] or [[msn.accounts]]): an AIM, ICQ
// or MSN account of the bridge's own, through which the contacts it allows reach any
// phone, as AIM's and MSN's own SMS services once did. "+33611111111 hello" goes to that
// phone, by RCS where the number has it, else by SMS, prefixed "[AIM] bobsn:"; a text
// without a number goes to the phone of the contact's latest conversation there.
//
// Two kinds of thread make it work, both kept with the SMS threads:
// - the phone's side, as for any sender (record_thread once the message is taken):
//   (sender number or chatbot, phone) -> local = the gateway account, remote = the
//   contact; the phone's answers leave from the gateway account as "+33611111111: text"
//   (on_phone_message);
// - the contact's side: (gateway account, contact) -> local = the contact, remote = the
//   phone they wrote to or heard from last.

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "router/internal.hpp"
#include "router/keywords.hpp"
#include "router/router.hpp"

namespace passerelle {

void Router::on_account_gateway_message(InboundMessage& m) {
  const auto t0 = std::chrono::steady_clock::now();
  const Address gateway = m.to;
  if (!directory_.gateway_allows(gateway, m.from)) {
    refused_.inc();
    spdlog::warn("router: {} wrote to the gateway account {} but is not in its allow list",
                 m.from.str(), gateway.str());
    ack_with(m.ack, {});
    // Told once an hour at most: a stranger's messages cannot make the bridge chatty.
    if (may_send_help(m.from.str()))
      notify(OutboundError{gateway, m.from, m.origin_id,
                           Error::forbidden("you are not allowed to use this gateway")},
             gateway, m.from);
    return;
  }
  if (m.body.empty() && m.attachments.empty()) return ack_with(m.ack, {});
  // AIM, ICQ and MSN have no error answer to a message: a refusal further on (spending
  // cap, STOP, a number no route serves, the store failing) reaches the contact as a text
  // from the gateway account.
  m.ack = [this, original = std::move(m.ack), gateway, contact = m.from,
           origin = m.origin_id](Status st) {
    if (!st.ok())
      boost::asio::post(strand_, [this, gateway, contact, origin, e = st.error()] {
        notify(OutboundError{gateway, contact, origin, e}, gateway, contact);
      });
    ack_with(original, std::move(st));
  };
  std::string text = m.body;
  std::string e164;
  if (auto addressed = parse_phone_addressed(m.body)) {
    auto phone = parse_phone_for_sms(addressed->target);
    if (!phone.ok())
      return refuse_at_gateway(
          m, "\"" + addressed->target +
                 "\" is not a phone number this gateway can reach: " + phone.error().message);
    if (addressed->text.empty() && m.attachments.empty())
      return refuse_at_gateway(
          m, "write the message after the number, e.g. \"" + phone->e164 + " hello\"");
    e164 = phone->e164;
    text = addressed->text;
  } else if (auto latest = sms_.latest_thread(gateway.str(), m.from.str())) {
    if (auto remote = parse_address(latest->remote); remote.ok() && is_phone(*remote))
      e164 = remote->id;
  }
  if (e164.empty())
    return refuse_at_gateway(
        m, "start with the phone number to write to, e.g. \"+33611111111 hello\"");
  keep_thread(gateway.str(), m.from.str(), m.from.str(), Address{Network::rcs, e164}.str(), {});
  send_to_phone(m, e164, prefixed(m.from, text), gateway, t0);
}

// A contact types to the gateway: the phone of their latest conversation there sees the
// chatbot typing, where it has RCS (SMS has no typing). The other way, a phone typing to the
// chatbot reaches the contact from the gateway account like any thread (on_rcs_chat_state).
void Router::on_gateway_chat_state(const InboundChatState& c) {
  if (!directory_.gateway_allows(c.to, c.from) || !rcs_.enabled()) return;
  auto latest = sms_.latest_thread(c.to.str(), c.from.str());
  if (!latest) return;
  auto phone = parse_address(latest->remote);
  if (!phone.ok() || !is_phone(*phone)) return;
  auto route = rcs_.route(phone->id);
  if (!route) return;
  if (Connector* conn = connectors_.find(route->connector))
    conn->send(OutboundChatState{choose_bot(*route, phone->id, c.to, c.from),
                                 Address{Network::rcs, phone->id}, c.state});
}

// The network has no error reply for a message: the contact gets one from the gateway.
void Router::refuse_at_gateway(InboundMessage& m, const std::string& why) {
  refused_.inc();
  ack_with(m.ack, {});
  notify(OutboundError{m.to, m.from, m.origin_id, Error::invalid(why)}, m.to, m.from);
}

}  // namespace passerelle
