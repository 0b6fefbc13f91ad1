#pragma once
// The AIM/ICQ connector (DESIGN.md §6 oscar): every linked AIM screen name and ICQ number,
// from the config or registered from the person's XMPP client (link_account/unlink_account
// at run time), each with its OSCAR session (session/session.hpp), kept in an AccountSet
// (connectors/common), behind one connector named "oscar".
//
// Addresses: aim:<screen name, lower case, no spaces>, icq:<UIN>. Inbound: messages
// (from = the buddy, to = the account; origin_id = the ICBM cookie in hex; ICQ offline
// messages fetched at login and deleted from the server once committed), typing, buddy
// presence (AIM away flag and away message, ICQ status), authorization requests and
// "you were added" as subscribe, authorization replies as subscribed/unsubscribed, account
// state per account ("aim:<login>"; a server warning shows as the state's reason).
// Outbound: OutboundMessage from an account to a buddy, sent through the ICBM rate class
// with a host-ack request. Its DeliveryReport is
//   acked      written to the server (network_id = the cookie in hex)
//   delivered  the server's host ack (0x0004/0x000C)
//   failed     ICBM error: 0x0004 recipient not logged on (recipient_offline = true, so
//              the router may send an SMS), rate limits (retryable), others with their
//              reason; account not signed on or queue full (retryable)
//   unknown    written, then no answer within 60 s or the connection was lost.
// OutboundChatState → mini typing notifications; OutboundPresence from the account to
// itself → our status (ICQ status word, AIM away message); OutboundSubscription →
// add/remove the buddy on the server-stored list (with an ICQ authorization request when
// the contact requires it), or answer a contact's authorization request.
//
// Threads: public methods may be called from any thread and never block; the work runs
// on the connector's strand. Lifetime: destroy after stop()'s `done` ran, or after the
// io_context stopped.

#include <boost/asio/io_context.hpp>
#include <memory>

#include "config/config.hpp"
#include "connector/connector.hpp"

namespace passerelle::oscar {

std::unique_ptr<Connector> make_oscar_connector(boost::asio::io_context& io,
                                                const config::Config& cfg, EventSink& sink);

}  // namespace passerelle::oscar
