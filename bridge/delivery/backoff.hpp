#pragma once
#include <algorithm>
#include <cstdint>
#include <random>

namespace passerelle {

// Capped exponential backoff with "equal jitter": half the step fixed, half random, so
// retries of many deliveries spread out but never come sooner than half the step.
// attempt 1 -> ~initial, attempt 2 -> ~2*initial, ... capped at max_ms.
inline std::int64_t backoff_ms(int attempt, std::int64_t initial_ms, std::int64_t max_ms,
                               std::uint64_t random) {
  std::int64_t step = initial_ms;
  for (int i = 1; i < attempt && step < max_ms; ++i) step *= 2;
  step = std::min(step, max_ms);
  const std::int64_t half = step / 2;
  return half +
         (half > 0 ? static_cast<std::int64_t>(random % static_cast<std::uint64_t>(half + 1)) : 0);
}

inline std::uint64_t jitter_random() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

}  // namespace passerelle
