#include "rcs/codec/types.hpp"

#include "core/ascii.hpp"

namespace passerelle::rcs {

std::optional<DeliveryStatus> parse_delivery_status(std::string_view word) {
  // The API writes them in lower case; a platform writing "DELIVERED" means the same.
  auto is = [word](std::string_view known) { return ascii_iequals(word, known); };
  if (is("pending")) return DeliveryStatus::pending;
  if (is("sent")) return DeliveryStatus::sent;
  if (is("delivered")) return DeliveryStatus::delivered;
  if (is("displayed")) return DeliveryStatus::displayed;
  if (is("failed")) return DeliveryStatus::failed;
  // The Node SDK and dotgo write "cancelled", coco's SDK "canceled".
  if (is("cancelled") || is("canceled")) return DeliveryStatus::cancelled;
  return std::nullopt;
}

const char* delivery_status_name(DeliveryStatus s) {
  switch (s) {
    case DeliveryStatus::pending:
      return "pending";
    case DeliveryStatus::sent:
      return "sent";
    case DeliveryStatus::delivered:
      return "delivered";
    case DeliveryStatus::displayed:
      return "displayed";
    case DeliveryStatus::failed:
      return "failed";
    case DeliveryStatus::cancelled:
      return "cancelled";
  }
  return "pending";
}

std::optional<Typing> parse_typing(std::string_view word) {
  if (word == "active") return Typing::active;
  if (word == "idle") return Typing::idle;
  return std::nullopt;
}

const char* typing_name(Typing t) {
  return t == Typing::active ? "active" : "idle";
}

}  // namespace passerelle::rcs
