#include "router/rcs_plan.hpp"

#include <algorithm>

namespace passerelle {

Address bot_address(const std::string& bot_id, const std::string& platform) {
  return Address{Network::rcs, bot_id + '@' + platform};
}

RcsPlan::RcsPlan(const config::RcsSection& rcs) : enabled_(rcs.enabled) {
  if (!enabled_) return;
  for (const auto& p : rcs.platforms) {
    Platform platform{
        p.name, p.ranges, {p.name, "rcs:" + p.name, bot_address(p.bot_id, p.name)}, {}};
    platform.bots.push_back(platform.route.bot.id);
    for (const auto& b : p.pool_bots) platform.bots.push_back(bot_address(b, p.name).id);
    all_bots_.insert(all_bots_.end(), platform.bots.begin(), platform.bots.end());
    platforms_.push_back(std::move(platform));
  }
}

const RcsPlan::Platform* RcsPlan::by_name(const std::string& name) const {
  for (const auto& p : platforms_)
    if (p.name == name) return &p;
  return nullptr;
}

std::optional<RcsRoute> RcsPlan::route(const std::string& e164) const {
  if (portability_)
    if (auto ported = portability_->find(e164)) {
      // Ported: only the platform the table names serves it (none: its new carrier has no
      // platform here, and its old one would not know it).
      const Platform* p = by_name(ported->platform);
      if (!p) return std::nullopt;
      return p->route;
    }
  const Platform* best = nullptr;
  std::size_t best_len = 0;
  for (const auto& p : platforms_)
    for (const auto& r : p.ranges)
      if (e164.compare(0, r.size(), r) == 0 && (best == nullptr || r.size() > best_len))
        best = &p, best_len = r.size();
  if (!best) return std::nullopt;
  return best->route;
}

std::optional<RcsRoute> RcsPlan::route_of_bot(const Address& bot) const {
  if (bot.network != Network::rcs) return std::nullopt;
  const auto at = bot.id.rfind('@');
  if (at == std::string::npos) return std::nullopt;
  const Platform* p = by_name(bot.id.substr(at + 1));
  if (!p || std::find(p->bots.begin(), p->bots.end(), bot.id) == p->bots.end()) return std::nullopt;
  RcsRoute r = p->route;
  r.bot = bot;
  return r;
}

const std::vector<std::string>& RcsPlan::bots(const RcsRoute& route) const {
  const Platform* p = by_name(route.platform);
  return p ? p->bots : no_bots_;
}

std::string RcsPlan::ported_smsc(const std::string& e164) const {
  if (!portability_) return {};
  auto ported = portability_->find(e164);
  return ported ? ported->smsc : std::string();
}

}  // namespace passerelle
