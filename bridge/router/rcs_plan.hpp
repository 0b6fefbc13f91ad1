#pragma once
// The RCS side of routing, in memory (DESIGN.md §3, "Between carriers"): which carrier's
// platform serves a number (its ranges, longest prefix first, overridden by the
// portability table), and the bridge's chatbot on each platform. A phone sees the bridge
// as a chatbot of its own carrier: `rcs:<bot id>@<platform>`, the RCS counterpart of an
// SMS sender number (replies are threaded on (bot, phone) as on (sender number, phone)).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "model/address.hpp"
#include "router/portability.hpp"

namespace passerelle {

struct RcsRoute {
  std::string platform;   // [[rcs.platform]] name
  std::string connector;  // "rcs:<platform>"
  Address bot;            // rcs:<bot id>@<platform>
};

class RcsPlan {
 public:
  explicit RcsPlan(const config::RcsSection& rcs);

  bool enabled() const { return enabled_; }
  // The platform serving `e164`: the portability table's, else the longest matching range.
  std::optional<RcsRoute> route(const std::string& e164) const;
  // The route of a bot address (rcs:<bot>@<platform>), if it is one of ours.
  std::optional<RcsRoute> route_of_bot(const Address& bot) const;
  // Every chatbot of `route`'s platform as address ids ("bot@platform"), bot_id first.
  const std::vector<std::string>& bots(const RcsRoute& route) const;
  // Every chatbot of every platform ("bot@platform").
  const std::vector<std::string>& all_bots() const { return all_bots_; }
  bool is_bot(const Address& a) const { return route_of_bot(a).has_value(); }

  // The SMSC a ported number moved to ("" when the table does not say).
  std::string ported_smsc(const std::string& e164) const;

  void set_portability(std::shared_ptr<const PortabilityTable> table) {
    portability_ = std::move(table);
  }
  const PortabilityTable* portability() const { return portability_.get(); }

 private:
  struct Platform {
    std::string name;
    std::vector<std::string> ranges;
    RcsRoute route;                 // with bot_id
    std::vector<std::string> bots;  // bot_id then pool_bots, as "bot@platform"
  };
  const Platform* by_name(const std::string& name) const;
  std::vector<std::string> no_bots_;
  std::vector<std::string> all_bots_;

  bool enabled_ = false;
  std::vector<Platform> platforms_;
  std::shared_ptr<const PortabilityTable> portability_;
};

// rcs:<bot id>@<platform> for a configured bot.
Address bot_address(const std::string& bot_id, const std::string& platform);

}  // namespace passerelle
