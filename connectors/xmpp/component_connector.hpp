#pragma once
// XmppComponentConnector: the bridge's gateway on the XMPP side (DESIGN.md §3, §6). One
// XEP-0114 component stream per network in xmpp.networks, at <network>.<bridge.domain>,
// all on one libstrophe thread. name() "xmpp". Outbound events are routed by the
// network of their `from` (the puppet); AccountStateEvent.account is the component
// domain ("sms.example.org").

#include <memory>
#include <vector>

#include "component_session.hpp"
#include "config/config.hpp"
#include "jid.hpp"
#include "link.hpp"
#include "loop_connector.hpp"

namespace passerelle::xmpp {

class XmppComponentConnector final : public LoopConnector {
 public:
  XmppComponentConnector(const config::XmppSection& xmpp, const config::BridgeSection& bridge,
                         const config::AccessSection& access, EventSink& sink,
                         LinkTimings timings = {});
  ~XmppComponentConnector() override;

  // The component domains served, in config order.
  std::vector<std::string> domains() const;

 protected:
  void setup(strophe::Context& ctx) override;
  void tick(Clock::time_point now) override;
  Clock::time_point next_deadline() const override;
  void handle(const OutboundEvent& event) override;
  void begin_close() override;
  bool all_closed() const override;
  void teardown() override;

 private:
  struct Component {
    std::unique_ptr<ComponentSession> session;
    std::unique_ptr<Link> link;
  };
  config::XmppSection cfg_;
  config::AccessSection access_;
  AddressMap map_;
  LinkTimings timings_;
  std::vector<Component> components_;  // loop thread only
};

}  // namespace passerelle::xmpp
