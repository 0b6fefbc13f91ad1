#pragma once
// The bearer token obtained from the platform's token endpoint (client credentials), kept
// until shortly before it expires: the smaller of 60 s and a quarter of expires_in before
// (a token without expires_in, or with 0, is kept until a call is answered 401). Sans-IO:
// the client does the fetching. Private to the session.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

namespace passerelle::rcs::detail {

class TokenCache {
 public:
  using Clock = std::chrono::steady_clock;

  // The token to send now, or "" when a new one must be fetched.
  const std::string& current(Clock::time_point now) const {
    static const std::string none;
    return !token_.empty() && now < refresh_at_ ? token_ : none;
  }

  void store(std::string token, std::uint64_t expires_in_s, Clock::time_point now) {
    token_ = std::move(token);
    if (expires_in_s == 0) {
      refresh_at_ = Clock::time_point::max();
      return;
    }
    const auto life = std::chrono::seconds(
        std::min<std::uint64_t>(expires_in_s, std::uint64_t{10} * 365 * 24 * 3600));
    const auto margin = std::min<std::chrono::milliseconds>(std::chrono::seconds(60), life / 4);
    refresh_at_ = now + life - margin;
  }

  // A call made with `used` was answered 401: forget that token (not a newer one that
  // another call fetched meanwhile).
  void invalidate(const std::string& used) {
    if (used == token_) token_.clear();
  }

 private:
  std::string token_;
  Clock::time_point refresh_at_{};
};

}  // namespace passerelle::rcs::detail
