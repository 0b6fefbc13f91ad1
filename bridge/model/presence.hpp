#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace passerelle {

enum class PresenceState { available, chatty, away, xa, busy, invisible, offline };
enum class Device { unknown, desktop, mobile };

struct Presence {
  PresenceState state = PresenceState::offline;
  std::string status;  // free text (away message, personal message)
  Device device = Device::unknown;
  std::int64_t last_seen_ms = 0;
};

// Higher is more available; used to pick the best address of a Person.
int availability_rank(PresenceState s);
bool is_online(PresenceState s);
std::string_view presence_state_name(PresenceState s);

}  // namespace passerelle
