#include "core/ulid.hpp"

#include <chrono>
#include <random>

namespace passerelle {
namespace {
constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string make_ulid(std::uint64_t ms, const unsigned char random[10]) {
  std::string out(26, '0');
  for (int i = 9; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kAlphabet[ms & 31];
    ms >>= 5;
  }
  // 80 random bits -> 16 characters of 5 bits, most significant first.
  for (int c = 0; c < 16; ++c) {
    unsigned v = 0;
    for (int b = 0; b < 5; ++b) {
      const int bit = c * 5 + b;  // 0 = most significant bit of random[0]
      v = (v << 1) | ((random[bit / 8] >> (7 - bit % 8)) & 1u);
    }
    out[static_cast<size_t>(10 + c)] = kAlphabet[v];
  }
  return out;
}

std::string new_ulid() {
  // Identifiers need uniqueness, not secrecy: a per-thread PRNG seeded once from the OS.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  unsigned char random[10];
  const std::uint64_t a = rng(), b = rng();
  for (int i = 0; i < 8; ++i) random[i] = static_cast<unsigned char>(a >> (8 * i));
  random[8] = static_cast<unsigned char>(b);
  random[9] = static_cast<unsigned char>(b >> 8);
  return make_ulid(static_cast<std::uint64_t>(now_ms()), random);
}

}  // namespace passerelle
