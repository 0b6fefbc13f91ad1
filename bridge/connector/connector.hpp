#pragma once
// The connector contract (DESIGN.md §6, STYLE.md habit 3). One instance per network link
// (the XMPP component, one SMSC, one linked client account set). Every method is
// thread-safe and non-blocking: implementations post onto their own strand.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "bus/events.hpp"
#include "core/result.hpp"
#include "model/network.hpp"

namespace passerelle {

struct Capabilities {
  std::size_t max_text_bytes = 0;  // 0: no limit
  bool typing = false;
  bool receipts = false;
  bool read_markers = false;
  bool edits = false;
  bool files = false;
  std::uint64_t max_file_bytes = 0;
  bool groups = false;
  // Its reports name a message by the outbox's delivery id (RCS: msgId), not by an id of
  // the network's: only that delivery's send result can make an early one apply.
  bool ids_are_delivery_ids = false;
};

struct ConnectorStatus {
  LinkState state = LinkState::connecting;
  std::string detail;  // last reason, human words
  std::uint64_t reconnects = 0;
  std::uint64_t queue_depth = 0;
  // Inbound copies the network delivered again after the first was stored, recognised
  // here, acknowledged and not passed on (since start; SMPP counts PDUs, so each part of
  // a long SMS).
  std::uint64_t duplicates = 0;
};

// A linked account added at run time: registered from the person's own XMPP client
// (XEP-0077 on aim./icq./msn.<domain>) or restored from the store at start-up.
struct AccountLink {
  Address account;       // canonical (make_address)
  std::string password;  // never logged
};

// Where connectors hand inbound events. Thread-safe; never blocks.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void publish(InboundEvent event) = 0;
};

class Connector {
 public:
  virtual ~Connector() = default;
  virtual const std::string& name() const = 0;  // "xmpp", "smpp:primary", unique
  virtual Network network() const = 0;
  virtual Capabilities capabilities() const = 0;
  virtual void start() = 0;
  // Stops accepting work, drains what is in flight (bounded by the connector's own
  // timeout), closes cleanly, then calls `done` once.
  virtual void stop(std::function<void()> done) = 0;
  // Takes one outbound event. Results come back as DeliveryReport events on the sink.
  virtual void send(OutboundEvent event) = 0;
  virtual ConnectorStatus status() const = 0;

  // Connectors that log into a person's own accounts (AIM/ICQ, MSN) take accounts at run
  // time: link_account adds the account or replaces its password, and the account signs
  // on by itself (its state comes back as AccountStateEvent, like a configured one's);
  // unlink_account signs it off and forgets it. Others refuse.
  virtual Status link_account(AccountLink link) {
    return Error::forbidden(name() + " does not take accounts at run time (" + link.account.str() +
                            ")");
  }
  virtual void unlink_account(const Address& account) { (void)account; }
  // After a restart, for each message this connector's network took before it and has
  // not delivered yet. A connector that watches for delivery itself (RCS: revoked and sent
  // by SMS instead after rcs.fallback_after_s) resumes watching it; the others have
  // nothing to do. Called before start(), from the core's thread.
  virtual void resume_watch(OutboundWatch watch) { (void)watch; }
};

}  // namespace passerelle
