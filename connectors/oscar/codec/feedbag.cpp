#include "oscar/codec/feedbag.hpp"

#include "oscar/codec/fault.hpp"

namespace passerelle::oscar {

const char* feedbag_status_reason(std::uint16_t code) {
  switch (code) {
    case feedbag_status::success:
      return "done";
    case feedbag_status::not_found:
      return "item not found on the server list";
    case feedbag_status::already_exists:
      return "item already on the server list";
    case feedbag_status::invalid_data:
      return "the server rejected the item as invalid";
    case feedbag_status::limit_exceeded:
      return "server list full";
    case feedbag_status::icq_not_allowed:
      return "an ICQ contact cannot be added to an AIM list";
    case feedbag_status::requires_authorization:
      return "the contact must authorize the addition first";
    default:
      return "server list change refused";
  }
}

const Tlv* FeedbagItem::attribute(std::uint16_t type) const {
  for (const auto& t : attributes) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

std::optional<std::string> FeedbagItem::alias() const {
  const Tlv* t = attribute(feedbag_attr::alias);
  if (t == nullptr) return std::nullopt;
  return std::string(t->value.begin(), t->value.end());
}

std::vector<std::uint16_t> FeedbagItem::order() const {
  std::vector<std::uint16_t> ids;
  const Tlv* t = attribute(feedbag_attr::order);
  if (t == nullptr) return ids;
  ByteReader r(t->value);
  std::uint16_t id = 0;
  while (r.u16(id)) ids.push_back(id);
  return ids;
}

Result<FeedbagItem> read_feedbag_item(ByteReader& r) {
  FeedbagItem item;
  std::uint16_t len = 0;
  ByteView name;
  if (!r.u16(len) || !r.bytes(len, name)) {
    return make_fault(Fault::truncated, "feedbag item name runs past the SNAC");
  }
  item.name = to_string(name);
  if (!r.u16(item.group_id) || !r.u16(item.item_id) || !r.u16(item.class_id)) {
    return make_fault(Fault::truncated, "feedbag item ids cut short");
  }
  auto tlvs = read_tlv_block_sized(r, kMaxFeedbagItemTlvs);
  if (!tlvs) return tlvs.error();
  item.attributes = to_owned(*tlvs);
  return item;
}

Status append_feedbag_item(Bytes& out, const FeedbagItem& item) {
  if (item.name.size() > 0xFFFF) {
    return make_fault(Fault::value_too_long, "feedbag item name over 65,535 bytes");
  }
  const std::size_t start = out.size();
  put_u16(out, static_cast<std::uint16_t>(item.name.size()));
  put_string(out, item.name);
  put_u16(out, item.group_id);
  put_u16(out, item.item_id);
  put_u16(out, item.class_id);
  if (auto s = append_tlv_block_sized(out, item.attributes); !s) {
    out.resize(start);
    return s;
  }
  return {};
}

Result<std::vector<FeedbagItem>> parse_feedbag_items(ByteView body, std::size_t max) {
  ByteReader r(body);
  std::vector<FeedbagItem> items;
  while (!r.at_end()) {
    if (items.size() >= max) {
      return make_fault(Fault::too_many_items,
                        "more than " + std::to_string(max) + " feedbag items in one SNAC");
    }
    auto item = read_feedbag_item(r);
    if (!item) return item.error();
    items.push_back(std::move(*item));
  }
  return items;
}

Status append_feedbag_items(Bytes& out, const std::vector<FeedbagItem>& items) {
  const std::size_t start = out.size();
  for (const auto& i : items) {
    if (auto s = append_feedbag_item(out, i); !s) {
      out.resize(start);
      return s;
    }
  }
  return {};
}

Result<FeedbagReply> parse_feedbag_reply(ByteView body, std::size_t max) {
  ByteReader r(body);
  FeedbagReply reply;
  std::uint16_t count = 0;
  if (!r.u8(reply.version) || !r.u16(count)) {
    return make_fault(Fault::truncated, "feedbag reply header cut short");
  }
  if (count > max) {
    return make_fault(Fault::too_many_items, "feedbag reply announces " + std::to_string(count) +
                                                 " items, over the limit of " +
                                                 std::to_string(max));
  }
  reply.items.reserve(count);
  for (std::uint16_t i = 0; i < count; ++i) {
    auto item = read_feedbag_item(r);
    if (!item) return item.error();
    reply.items.push_back(std::move(*item));
  }
  if (r.remaining() >= 4) {
    std::uint32_t t = 0;
    r.u32(t);
    reply.last_update = t;
  }
  if (!r.at_end()) return make_fault(Fault::trailing_bytes, "bytes after the feedbag reply");
  return reply;
}

Status append_feedbag_reply(Bytes& out, const FeedbagReply& reply) {
  if (reply.items.size() > 0xFFFF) {
    return make_fault(Fault::too_many_items, "feedbag reply over 65,535 items");
  }
  const std::size_t start = out.size();
  put_u8(out, reply.version);
  put_u16(out, static_cast<std::uint16_t>(reply.items.size()));
  if (auto s = append_feedbag_items(out, reply.items); !s) {
    out.resize(start);
    return s;
  }
  if (reply.last_update) put_u32(out, *reply.last_update);
  return {};
}

Result<std::vector<std::uint16_t>> parse_feedbag_status(ByteView body) {
  if (body.size() % 2 != 0) return make_fault(Fault::truncated, "feedbag status of odd length");
  if (body.size() / 2 > kMaxFeedbagItems) {
    return make_fault(Fault::too_many_items, "too many feedbag status codes");
  }
  ByteReader r(body);
  std::vector<std::uint16_t> codes(body.size() / 2);
  for (auto& c : codes) r.u16(c);
  return codes;
}

}  // namespace passerelle::oscar
