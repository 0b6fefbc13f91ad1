#include "oscar/codec/rates.hpp"

#include <algorithm>

namespace passerelle::oscar {

std::uint32_t next_rate_level(const RateClass& c, std::uint32_t level, std::uint64_t elapsed_ms) {
  if (c.window == 0) return level;
  const std::uint64_t w = c.window;
  const std::uint64_t v = ((w - 1) * level + std::min<std::uint64_t>(elapsed_ms, 1ULL << 40)) / w;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(v, c.max_level));
}

std::uint64_t rate_wait_ms(const RateClass& c, std::uint32_t level, std::uint64_t elapsed_ms,
                           std::uint32_t target) {
  if (c.window == 0) return 0;
  target = std::min(target, c.max_level);
  // Smallest e with ((w - 1) * level + e) / w >= target, i.e. e >= w * target - (w - 1) * level.
  const std::uint64_t w = c.window;
  const std::uint64_t need = w * target;
  const std::uint64_t have = (w - 1) * level;
  const std::uint64_t e = need > have ? need - have : 0;
  return e > elapsed_ms ? e - elapsed_ms : 0;
}

}  // namespace passerelle::oscar
