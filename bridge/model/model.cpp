#include "bus/events.hpp"
#include "model/message.hpp"
#include "model/presence.hpp"

namespace passerelle {

std::string_view delivery_state_name(DeliveryState s) {
  switch (s) {
    case DeliveryState::accepted:
      return "accepted";
    case DeliveryState::routed:
      return "routed";
    case DeliveryState::sent:
      return "sent";
    case DeliveryState::acked:
      return "acked";
    case DeliveryState::delivered:
      return "delivered";
    case DeliveryState::read:
      return "read";
    case DeliveryState::failed:
      return "failed";
    case DeliveryState::unknown:
      return "unknown";
  }
  return "?";
}

bool is_final(DeliveryState s) {
  return s == DeliveryState::delivered || s == DeliveryState::read || s == DeliveryState::failed ||
         s == DeliveryState::unknown;
}

int availability_rank(PresenceState s) {
  switch (s) {
    case PresenceState::chatty:
      return 6;
    case PresenceState::available:
      return 5;
    case PresenceState::away:
      return 3;
    case PresenceState::busy:
      return 4;
    case PresenceState::xa:
      return 2;
    case PresenceState::invisible:
      return 1;
    case PresenceState::offline:
      return 0;
  }
  return 0;
}

bool is_online(PresenceState s) {
  return s != PresenceState::offline;
}

std::string_view presence_state_name(PresenceState s) {
  switch (s) {
    case PresenceState::available:
      return "available";
    case PresenceState::chatty:
      return "chatty";
    case PresenceState::away:
      return "away";
    case PresenceState::xa:
      return "extended-away";
    case PresenceState::busy:
      return "busy";
    case PresenceState::invisible:
      return "invisible";
    case PresenceState::offline:
      return "offline";
  }
  return "?";
}

std::string_view link_state_name(LinkState s) {
  switch (s) {
    case LinkState::disabled:
      return "disabled";
    case LinkState::connecting:
      return "connecting";
    case LinkState::up:
      return "up";
    case LinkState::stalled:
      return "stalled";
    case LinkState::backing_off:
      return "backing_off";
    case LinkState::failed:
      return "failed";
  }
  return "?";
}

}  // namespace passerelle
