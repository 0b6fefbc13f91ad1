#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/address.hpp"

namespace passerelle {

// A small picture of a file (an RCS thumbnail), shared beside it: shown before the file
// is fetched, where the network has a place for one.
struct Thumbnail {
  std::string url;
  std::string content_type;
  std::uint64_t size = 0;
};

struct Attachment {
  std::string name;
  std::string content_type;
  std::uint64_t size = 0;
  std::string sha256;  // hex
  std::string url;
  std::optional<Thumbnail> thumbnail;
};

// A message as the bridge keeps it (DESIGN.md §2). Bodies are UTF-8.
struct Message {
  std::string id;               // ULID, assigned by the router
  std::string conversation_id;  // ULID
  Address from;
  Address to;
  std::string body;
  std::vector<Attachment> attachments;
  std::string reply_to;   // message id
  std::string origin_id;  // the network's own id, for de-duplication
  std::int64_t created_ms = 0;
};

// Lifecycle of one message across all its network ids (DESIGN.md §4). Ordered: a later
// state never goes back to an earlier one, except failed/unknown which end it.
enum class DeliveryState {
  accepted,   // in the outbox
  routed,     // a connector and route were chosen
  sent,       // handed to the network, waiting for its answer
  acked,      // the network accepted it (submit_sm_resp OK, server ack)
  delivered,  // the recipient's device has it (delivery report)
  read,
  failed,   // for good; the sender is told
  unknown,  // outcome unknown (connection lost before the answer); never resent silently
};

std::string_view delivery_state_name(DeliveryState s);
bool is_final(DeliveryState s);

}  // namespace passerelle
