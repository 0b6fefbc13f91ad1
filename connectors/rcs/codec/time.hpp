#pragma once
// Timestamps of the MaaP API: ISO 8601 / RFC 3339 date-times ("2017-09-26T01:33:20.315Z");
// the status answer in dotgo's documentation has neither fraction nor zone
// ("2020-11-10T11:06:26"), read as UTC. The upload form's "until" is written the same way.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace passerelle::rcs {

using Millis = std::chrono::sys_time<std::chrono::milliseconds>;

// "YYYY-MM-DDTHH:MM:SS" with an optional fraction (digits past milliseconds dropped) and
// an optional zone ("Z", "+HH:MM", "-HHMM"); no zone is UTC. nullopt for anything else.
std::optional<Millis> parse_timestamp(std::string_view text);

// "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC; years 0000 to 9999).
std::string format_timestamp(Millis t);

}  // namespace passerelle::rcs
