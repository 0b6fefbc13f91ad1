#pragma once
// BUDDY (family 0x0003) and BOS privacy (family 0x0009) list bodies (OSCAR protocol
// documentation): add/remove buddies to watch (0x0003/0x0004, 0x0005) and permit/deny
// entries (0x0009/0x0005..0x0008) are screen names back to back, each with a u8 length.
// Arrivals and departures (0x000B, 0x000C) are user info blocks: userinfo.hpp. Screen
// names stay as the server spells them; the model's Address makes them canonical.

#include <string>
#include <vector>

#include "core/result.hpp"
#include "oscar/codec/bytes.hpp"

namespace passerelle::oscar {

inline constexpr std::size_t kMaxNamesPerSnac = 1024;

Result<std::vector<std::string>> parse_screen_name_list(ByteView body,
                                                        std::size_t max = kMaxNamesPerSnac);
// Fails (appending nothing) when a name is over 255 bytes.
Status append_screen_name_list(Bytes& out, const std::vector<std::string>& names);

}  // namespace passerelle::oscar
