#include "config/suggest.hpp"

#include <algorithm>
#include <cstdint>

namespace passerelle::config {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  // Three rows suffice for the adjacent-swap rule.
  std::vector<std::size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (std::size_t j = 0; j <= m; ++j) prev[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::optional<std::string> nearest(std::string_view word,
                                   const std::vector<std::string>& candidates) {
  const std::size_t limit = std::clamp<std::size_t>(word.size() / 3, 1, 3);
  std::optional<std::string> best;
  std::size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d && d < std::max(word.size(), c.size())) {
      best_d = d;
      best = c;
    }
  }
  if (best) return best;
  // Otherwise one word extending the other: "warning" -> "warn", "token" -> "token_file".
  std::size_t best_extra = SIZE_MAX;
  for (const auto& c : candidates) {
    const auto& shorter = c.size() < word.size() ? std::string_view(c) : word;
    const auto& longer = c.size() < word.size() ? word : std::string_view(c);
    if (shorter.size() >= 3 && longer.substr(0, shorter.size()) == shorter &&
        longer.size() - shorter.size() < best_extra) {
      best_extra = longer.size() - shorter.size();
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  auto n = nearest(word, candidates);
  return n ? ", did you mean '" + *n + "'?" : std::string();
}

}  // namespace passerelle::config
