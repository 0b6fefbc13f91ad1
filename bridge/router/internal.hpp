#pragma once
// Shared by the router's source files; not part of its interface.

#include "bus/events.hpp"

namespace passerelle {

// Answers the network that brought an event, if it asked (DESIGN.md §4).
inline void ack_with(const AckFn& ack, Status st) {
  if (ack) ack(std::move(st));
}

}  // namespace passerelle
