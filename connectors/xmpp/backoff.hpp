#pragma once
// Capped exponential backoff with jitter for reconnects (DESIGN.md §8). Pure.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace passerelle::xmpp {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
          std::uint64_t seed = std::random_device{}())
      : initial_(std::max<std::chrono::milliseconds>(initial, std::chrono::milliseconds(1))),
        max_(std::max(max, initial_)),
        rng_(seed) {}

  // The wait before the next attempt: min(max, initial * 2^n) scaled by a uniform
  // factor in [0.5, 1] ("equal jitter"), so many links do not reconnect in step.
  std::chrono::milliseconds next() {
    const int shift = std::min(attempts_, 30);
    const double base =
        std::min(static_cast<double>(max_.count()),
                 static_cast<double>(initial_.count()) * static_cast<double>(1ULL << shift));
    ++attempts_;
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(base * jitter(rng_)));
  }
  void reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::mt19937_64 rng_;
  int attempts_ = 0;
};

}  // namespace passerelle::xmpp
