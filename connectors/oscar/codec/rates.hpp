#pragma once
// The rate-limit arithmetic of OSCAR (OSCAR protocol documentation, "rate limiting";
// OSERVICE 0x0007 gives the classes, oservice.hpp parses them). Each class keeps a moving
// average of the time between SNACs:
//     level' = ((window - 1) * level + elapsed_ms) / window,   capped at max_level
// computed when a SNAC of the class is sent. Below alert_level the server warns; below
// limit_level it drops SNACs; below disconnect_level it closes the connection. A level
// climbs back to clear_level before a limited class is usable again.
//
// Pure functions: the session owns the clock and the current level per class, and asks
// how long to hold a SNAC back so that sending it keeps the level above a target.

#include <cstdint>

#include "oscar/codec/oservice.hpp"

namespace passerelle::oscar {

// The level after sending one SNAC `elapsed_ms` after the previous one in the class.
std::uint32_t next_rate_level(const RateClass& c, std::uint32_t level, std::uint64_t elapsed_ms);

// The smallest time since the previous SNAC after which sending one leaves the level at or
// above `target` (0 when it already would). A target above max_level is treated as
// max_level. A class with window 0 (invalid) never makes anyone wait.
std::uint64_t rate_wait_ms(const RateClass& c, std::uint32_t level, std::uint64_t elapsed_ms,
                           std::uint32_t target);

}  // namespace passerelle::oscar
