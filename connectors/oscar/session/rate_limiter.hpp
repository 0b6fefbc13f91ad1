#pragma once
// The client side of OSCAR rate limiting (OSCAR protocol documentation, "rate limiting";
// codec/rates.hpp has the arithmetic). The server advertises its classes (OSERVICE 0x0007)
// and changes them (0x000A); for every SNAC it receives it updates, per class,
//     level = min(max, ((window - 1) * level + delta_ms) / window)
// and warns below alert_level, drops below limit_level, disconnects below disconnect_level.
// RateLimiter mirrors that average on our side and says how long a SNAC must wait so that
// sending it keeps its class at or above the target (the clear level, plus a margin for
// the network jitter between our clock and the server's): passerelle is never warned.
//
// Sans-IO: the caller passes the time (milliseconds on any monotonic clock) and owns the
// queues and the timer. A SNAC of a family/subtype no class lists is never held back.

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "oscar/codec/oservice.hpp"

namespace passerelle::oscar {

class RateLimiter {
 public:
  // Extra level kept above the clear level: the server measures deltas on arrival, so two
  // SNACs written 100 ms apart may reach it a few ms closer together.
  static constexpr std::uint32_t kMargin = 50;

  // From OSERVICE 0x0007, at `now_ms`. Levels start at the server's current level (or the
  // max when it says 0) and count from now: the server counts from the connection's start,
  // which is earlier, so we are on the safe side.
  void set_classes(const std::vector<RateClass>& classes, std::uint64_t now_ms);
  // OSERVICE 0x000A: the class's new parameters; its current level replaces ours (the
  // server's is the truth, e.g. after a warning).
  void apply_change(const RateChange& change, std::uint64_t now_ms);

  // The class id of a SNAC, 0 when no class lists it (never limited).
  std::uint16_t class_of(std::uint16_t family, std::uint16_t subtype) const;
  // Milliseconds to wait before a SNAC of class `id` may be sent at `now_ms` (0: now).
  std::uint64_t wait_ms(std::uint16_t id, std::uint64_t now_ms) const;
  // Records that a SNAC of class `id` was sent at `now_ms`.
  void on_sent(std::uint16_t id, std::uint64_t now_ms);

  std::optional<std::uint32_t> level(std::uint16_t id) const;
  const RateClass* find(std::uint16_t id) const;
  bool empty() const { return classes_.empty(); }

 private:
  struct State {
    RateClass params;
    std::uint32_t level = 0;
    std::uint64_t last_ms = 0;
  };
  std::uint32_t target(const RateClass& c) const;

  std::map<std::uint16_t, State> classes_;
  std::map<std::pair<std::uint16_t, std::uint16_t>, std::uint16_t> members_;
};

}  // namespace passerelle::oscar
