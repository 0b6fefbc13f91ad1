#pragma once
// XmppClientConnector: every [[xmpp.accounts]] entry logged in as an extra resource
// (client mode, DESIGN.md §3), one instance for all accounts on one libstrophe thread.
// name() "xmpp-client". Outbound events are routed by `from` (the account's bare JID);
// AccountStateEvent.account is the account's bare JID. Passwords are never logged.

#include <memory>
#include <vector>

#include "client_session.hpp"
#include "config/config.hpp"
#include "link.hpp"
#include "loop_connector.hpp"

namespace passerelle::xmpp {

class XmppClientConnector final : public LoopConnector {
 public:
  XmppClientConnector(std::vector<config::XmppAccount> accounts, const config::XmppSection& xmpp,
                      EventSink& sink, LinkTimings timings = {});
  ~XmppClientConnector() override;

 protected:
  void setup(strophe::Context& ctx) override;
  void tick(Clock::time_point now) override;
  Clock::time_point next_deadline() const override;
  void handle(const OutboundEvent& event) override;
  void begin_close() override;
  bool all_closed() const override;
  void teardown() override;

 private:
  struct Account {
    std::unique_ptr<ClientSession> session;
    std::unique_ptr<Link> link;
  };
  std::vector<config::XmppAccount> accounts_cfg_;
  int reconnect_initial_ms_;
  int reconnect_max_ms_;
  LinkTimings timings_;
  std::vector<Account> accounts_;  // loop thread only
};

}  // namespace passerelle::xmpp
