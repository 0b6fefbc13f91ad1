#include "rcs/connector/capability_cache.hpp"

namespace passerelle::rcs {

std::optional<Capability> CapabilityCache::find(const std::string& e164,
                                                std::int64_t now_ms) const {
  auto it = entries_.find(e164);
  if (it == entries_.end() || it->second.expires_ms <= now_ms) return std::nullopt;
  return it->second.cap;
}

void CapabilityCache::put(const std::string& e164, Capability c, std::int64_t now_ms) {
  if (ttl_ms_ <= 0) return;  // capability_ttl_s = 0: ask every time
  forget(e164);
  while (entries_.size() >= max_ && !expiry_.empty()) {
    entries_.erase(expiry_.begin()->second);
    expiry_.erase(expiry_.begin());
  }
  const std::int64_t expires = now_ms + ttl_ms_;
  auto pos = expiry_.emplace(expires, e164);
  entries_.emplace(e164, Entry{c, expires, pos});
}

void CapabilityCache::forget(const std::string& e164) {
  auto it = entries_.find(e164);
  if (it == entries_.end()) return;
  expiry_.erase(it->second.by_expiry);
  entries_.erase(it);
}

}  // namespace passerelle::rcs
