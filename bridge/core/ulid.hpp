#pragma once
#include <cstdint>
#include <string>

namespace passerelle {

// A ULID: 48-bit millisecond time + 80 random bits, Crockford base32, 26 characters.
// Sorts by creation time. Thread-safe.
std::string new_ulid();
std::string make_ulid(std::uint64_t ms, const unsigned char random[10]);

std::int64_t now_ms();  // wall clock, milliseconds since the epoch

}  // namespace passerelle
