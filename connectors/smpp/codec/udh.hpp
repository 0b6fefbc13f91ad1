#pragma once
// User Data Header (3GPP TS 23.040 §9.2.3.24): only concatenation is interpreted, other
// information elements are skipped.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace passerelle::smpp {

inline constexpr std::uint8_t kIeiConcat8 = 0x00;   // §9.2.3.24.1
inline constexpr std::uint8_t kIeiConcat16 = 0x08;  // §9.2.3.24.8

enum class RefSize { bits8, bits16 };

struct Concat {
  std::uint16_t ref = 0;
  std::uint8_t total = 0;  // 1..255
  std::uint8_t seq = 0;    // 1..total
  RefSize ref_size = RefSize::bits8;
  friend bool operator==(const Concat&, const Concat&) = default;
};

struct Udh {
  // Set when a well-formed concatenation IE is present. An IE whose seq is 0 or above
  // total is ignored, as §9.2.3.24.1 asks.
  std::optional<Concat> concat;
  std::size_t size = 0;  // octets of the header including the UDHL octet itself
};

// Parses the UDH at the start of `user_data` (a short_message whose esm_class has UDHI).
// Fails when UDHL or an IE length runs past the data.
Result<Udh> parse_udh(std::string_view user_data);

// Appends UDHL + one concatenation IE: 6 octets for an 8-bit ref, 7 for a 16-bit ref.
void append_concat_udh(std::string& out, const Concat& c);
inline std::size_t concat_udh_size(RefSize r) {
  return r == RefSize::bits8 ? 6 : 7;
}

}  // namespace passerelle::smpp
