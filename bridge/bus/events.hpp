#pragma once
// Typed events between connectors and the core (DESIGN.md §1, STYLE.md habit 4).
// Inbound events travel connector → router; outbound events router/outbox → connector.
// Adding an alternative to either variant is a compile error wherever it is not handled.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "model/address.hpp"
#include "model/message.hpp"
#include "model/presence.hpp"

namespace passerelle {

// Called exactly once by the core when an inbound event is safely stored (ok) or refused
// (error, with the reason to give the network). It may be called from any thread; a
// connector posts back to its own strand. Connectors answer the network only then
// (DESIGN.md §4: commit before acknowledging).
using AckFn = std::function<void(Status)>;

// ---- inbound: connector → router ----------------------------------------------------

// A message arriving on a network. For a gateway connector (XMPP component), `from` is
// the bridge user and `to` the puppet address on another network (sms:+336…). For an
// account connector (XMPP client mode, SMPP), `to` is the account or sender number the
// message arrived on.
struct InboundMessage {
  std::string connector;
  Address from;
  Address to;
  std::string body;
  std::vector<Attachment> attachments;
  std::string origin_id;
  bool wants_receipt = false;  // XEP-0184 request
  std::int64_t received_ms = 0;
  AckFn ack;
};

enum class ChatState { active, composing, paused, inactive, gone };
struct InboundChatState {
  std::string connector;
  Address from;
  Address to;
  ChatState state = ChatState::active;
};

// Presence of `who` as seen by the connector. For an account connector, `who` equal to
// the account itself means "the person's own other clients" (XMPP client mode reports
// whether any other resource is online).
struct InboundPresence {
  std::string connector;
  Address who;
  Address observer;  // the account or user that sees it
  Presence presence;
};

enum class SubscriptionAction { subscribe, subscribed, unsubscribe, unsubscribed };
struct InboundSubscription {
  std::string connector;
  Address from;
  Address to;
  SubscriptionAction action = SubscriptionAction::subscribe;
};

// A network's answer about something the outbox sent. `delivery_id` ties it to the
// outbox row when the connector knows it (the send result); `network_id` when it only
// knows the network's id (an SMPP delivery report for one segment).
struct DeliveryReport {
  std::string connector;
  std::string delivery_id;
  std::string network_id;
  DeliveryState state = DeliveryState::sent;
  std::vector<std::string> network_ids;  // on acked: every id the network gave (segments)
  std::string reason;                    // network's words on failure
  int protocol_status = 0;
  bool retryable = false;
  int segments = 0;  // SMS segments actually submitted (charging)
  // On failed: the network refused because the recipient is not online (MSN 217 on CAL,
  // OSCAR ICBM error 0x0004), cannot receive on it (an RCS number without RCS), or did not
  // get it in time (an RCS message revoked after rcs.fallback_after_s). The router may
  // then reach them another way (SMS).
  bool recipient_offline = false;
  // Set when the network waits for an answer (an SMPP delivery receipt, an RCS status
  // event): called once what the report changed is durable, or with why not (DESIGN.md
  // §4: commit before acknowledging). Empty for reports nobody answers.
  AckFn ack;
  // For a report by network id, from a connector that knows which sends the network has
  // seen (SMPP): the highest OutboundMessage::handout among the sends written to the
  // network whose result the connector had not reported yet when this report came; 0:
  // none. Such a report can name only those (or sends whose result came before it), so
  // one that names no open delivery waits only for them. Unset: it may name any send
  // handed out before it.
  std::optional<std::uint64_t> may_name_upto;
};

enum class LinkState { disabled, connecting, up, stalled, backing_off, failed };
std::string_view link_state_name(LinkState s);

struct AccountStateEvent {
  std::string connector;
  std::string account;  // empty: the connector as a whole
  LinkState state = LinkState::connecting;
  std::string reason;
};

// In-band registration (XEP-0077) or similar: a user links settings from their client,
// on the gateway of `network`. On sms./rcs.: their phone number. On aim./icq./msn.: the
// account the bridge signs on for them (`remove`: unlink it).
struct Registration {
  std::string connector;
  Address user;
  Network network = Network::sms;
  std::string phone;     // as typed; the router normalises
  std::string login;     // aim/icq/msn: screen name, UIN or e-mail, as typed
  std::string password;  // never logged
  bool remove = false;
  AckFn ack;
};

using InboundEvent =
    std::variant<InboundMessage, InboundChatState, InboundPresence, InboundSubscription,
                 DeliveryReport, AccountStateEvent, Registration>;

// ---- outbound: core → connector -----------------------------------------------------

enum class MessageKind { chat, notice, error_reply };

struct OutboundMessage {
  std::string delivery_id;  // outbox row; echoed in DeliveryReport
  std::string message_id;
  Address from;  // puppet/sender number/account to send as
  Address to;
  std::string body;
  std::vector<Attachment> attachments;
  MessageKind kind = MessageKind::chat;
  bool request_receipt = false;
  std::string reply_origin_id;  // network id of the message this answers, if any
  int attempt = 1;
  // The outbox's number for this hand-out (increasing; 0: not from the outbox). See
  // DeliveryReport::may_name_upto.
  std::uint64_t handout = 0;
};

// XEP-0184 receipt, or its equivalent, for a message the user sent.
struct OutboundReceipt {
  Address from;
  Address to;
  std::string origin_id;  // the id the user's client gave the message
};

// The user's message could not be (or was not) delivered; `origin_id` ties it to it.
struct OutboundError {
  Address from;
  Address to;
  std::string origin_id;
  Error error;
};

struct OutboundChatState {
  Address from;
  Address to;
  ChatState state = ChatState::active;
};

struct OutboundPresence {
  Address from;
  Address to;
  Presence presence;
};

struct OutboundSubscription {
  Address from;
  Address to;
  SubscriptionAction action = SubscriptionAction::subscribe;
};

// After a restart: a message the network took before it (acked) and has not delivered yet
// (Connector::resume_watch).
struct OutboundWatch {
  std::string delivery_id;
  Address from;  // as it was sent (the RCS chatbot)
  std::vector<std::string> network_ids;
  std::int64_t acked_ms = 0;  // when the network took it (wall clock)
};

using OutboundEvent = std::variant<OutboundMessage, OutboundReceipt, OutboundError,
                                   OutboundChatState, OutboundPresence, OutboundSubscription>;

}  // namespace passerelle
