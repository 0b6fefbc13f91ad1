#pragma once
// What the bridge knows of each number's RCS capability on one platform (DESIGN.md §3:
// "capability discovery, cached with a TTL"). Asking the platform before every message
// would double the requests; trusting an answer for ever would miss a phone that gained
// or lost RCS. Pure: the caller passes the time.
//
// Bounded: at most `max_entries` numbers; past it the entry that expires first is
// dropped (it would have been asked again soonest anyway).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

namespace passerelle::rcs {

struct Capability {
  bool chat = false;           // can receive chatbot messages: RCS, else SMS
  bool file_transfer = false;  // can receive files
};

class CapabilityCache {
 public:
  CapabilityCache(std::int64_t ttl_ms, std::size_t max_entries = 200'000)
      : ttl_ms_(ttl_ms), max_(max_entries == 0 ? 1 : max_entries) {}

  // The cached answer, if it has not expired at `now_ms`.
  std::optional<Capability> find(const std::string& e164, std::int64_t now_ms) const;
  // Records an answer (from a capability query, a 404 on send, or an event from the phone:
  // a phone that writes over RCS has it).
  void put(const std::string& e164, Capability c, std::int64_t now_ms);
  void forget(const std::string& e164);
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Capability cap;
    std::int64_t expires_ms = 0;
    std::multimap<std::int64_t, std::string>::iterator by_expiry;
  };
  std::int64_t ttl_ms_;
  std::size_t max_;
  std::unordered_map<std::string, Entry> entries_;
  std::multimap<std::int64_t, std::string> expiry_;  // expires_ms -> number
};

}  // namespace passerelle::rcs
