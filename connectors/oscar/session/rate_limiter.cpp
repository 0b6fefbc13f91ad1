#include "oscar/session/rate_limiter.hpp"

#include <algorithm>

#include "oscar/codec/rates.hpp"

namespace passerelle::oscar {

void RateLimiter::set_classes(const std::vector<RateClass>& classes, std::uint64_t now_ms) {
  classes_.clear();
  members_.clear();
  for (const auto& c : classes) {
    State s;
    s.params = c;
    s.level = c.current_level ? std::min(c.current_level, c.max_level) : c.max_level;
    s.last_ms = now_ms;
    for (const auto& m : c.members) members_[{m.family, m.subtype}] = c.id;
    classes_[c.id] = std::move(s);
  }
}

void RateLimiter::apply_change(const RateChange& change, std::uint64_t now_ms) {
  auto it = classes_.find(change.params.id);
  if (it == classes_.end()) return;
  auto members = std::move(it->second.params.members);
  it->second.params = change.params;
  it->second.params.members = std::move(members);
  const auto& p = it->second.params;
  if (p.current_level) it->second.level = std::min(p.current_level, p.max_level);
  it->second.last_ms = now_ms;
}

std::uint16_t RateLimiter::class_of(std::uint16_t family, std::uint16_t subtype) const {
  auto it = members_.find({family, subtype});
  return it == members_.end() ? 0 : it->second;
}

std::uint32_t RateLimiter::target(const RateClass& c) const {
  const std::uint32_t base = std::max({c.clear_level, c.alert_level, c.limit_level});
  return std::min(c.max_level, base + kMargin);
}

std::uint64_t RateLimiter::wait_ms(std::uint16_t id, std::uint64_t now_ms) const {
  auto it = classes_.find(id);
  if (it == classes_.end()) return 0;
  const State& s = it->second;
  const std::uint64_t elapsed = now_ms > s.last_ms ? now_ms - s.last_ms : 0;
  return rate_wait_ms(s.params, s.level, elapsed, target(s.params));
}

void RateLimiter::on_sent(std::uint16_t id, std::uint64_t now_ms) {
  auto it = classes_.find(id);
  if (it == classes_.end()) return;
  State& s = it->second;
  const std::uint64_t elapsed = now_ms > s.last_ms ? now_ms - s.last_ms : 0;
  s.level = next_rate_level(s.params, s.level, elapsed);
  s.last_ms = now_ms;
}

std::optional<std::uint32_t> RateLimiter::level(std::uint16_t id) const {
  auto it = classes_.find(id);
  if (it == classes_.end()) return std::nullopt;
  return it->second.level;
}

const RateClass* RateLimiter::find(std::uint16_t id) const {
  auto it = classes_.find(id);
  return it == classes_.end() ? nullptr : &it->second.params;
}

}  // namespace passerelle::oscar
