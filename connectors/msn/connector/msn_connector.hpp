#pragma once
// The MSN connector (DESIGN.md §6 msn): every linked MSN account, from the config or
// registered from the person's XMPP client (link_account/unlink_account at run time), each
// with its notification-server session and switchboards (session/ns_session.hpp), kept in
// an AccountSet (connectors/common).
//
// Addresses: msn:<e-mail>. Inbound: messages (from = msn:contact, to = msn:account), typing
// (composing, then paused ~6 s after the last notice: MSN has no "stopped"), presence with
// the personal message as status text, reverse-list additions as subscription requests,
// account state per account ("msn:<e-mail>"). Outbound: OutboundMessage from the account
// to a contact over a switchboard, MSG with ack mode A. Its DeliveryReport is
//   delivered  every part ACKed (the text reached the contact's client)
//   failed     NAK; 217 on CAL (recipient_offline = true, so the router may send an SMS);
//              account not signed in or switchboard not opened (retryable); too long
//   unknown    written but no ACK (switchboard closed, or 60 s without an answer).
// Texts longer than one MSG (1664 bytes of payload) are split into up to 8 MSG; longer ones
// are refused with an error saying the limit (Capabilities::max_text_bytes).
//
// Threads: public methods may be called from any thread and never block; the work runs on
// the connector's strand. Lifetime: destroy after stop()'s `done` ran, or after the
// io_context stopped.

#include <boost/asio/io_context.hpp>
#include <memory>

#include "config/config.hpp"
#include "connector/connector.hpp"

namespace passerelle::msn {

std::unique_ptr<Connector> make_msn_connector(boost::asio::io_context& io,
                                              const config::Config& cfg, EventSink& sink);

}  // namespace passerelle::msn
