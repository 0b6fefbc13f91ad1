#pragma once
// Feedbag, a.k.a. SSI, the server-stored buddy list (family 0x0013; OSCAR protocol
// documentation, "FEEDBAG" family and "feedbag item"). An item is: name (u16 length),
// group id u16, item id u16, class id u16, then a sized TLV block of attributes.
// Buddies have class 0 and live in a group (group id != 0); groups have class 1 and item
// id 0; the root group (id 0, name "") lists its groups in attribute 0x00C8.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "oscar/codec/bytes.hpp"
#include "oscar/codec/tlv.hpp"

namespace passerelle::oscar {

namespace feedbag_class {
inline constexpr std::uint16_t buddy = 0x0000;
inline constexpr std::uint16_t group = 0x0001;
inline constexpr std::uint16_t permit = 0x0002;
inline constexpr std::uint16_t deny = 0x0003;
inline constexpr std::uint16_t pd_info = 0x0004;  // privacy mode
inline constexpr std::uint16_t buddy_prefs = 0x0005;
inline constexpr std::uint16_t ignore = 0x000E;
inline constexpr std::uint16_t bart = 0x0014;  // buddy icon
}  // namespace feedbag_class

namespace feedbag_attr {
inline constexpr std::uint16_t pending_auth = 0x0066;  // empty: buddy not yet authorized us
inline constexpr std::uint16_t order = 0x00C8;         // u16 ids, in display order
inline constexpr std::uint16_t alias = 0x0131;         // string
inline constexpr std::uint16_t note = 0x013C;          // string
}  // namespace feedbag_attr

// 0x0013/0x000E: one u16 per item of the request it answers.
namespace feedbag_status {
inline constexpr std::uint16_t success = 0x0000;
inline constexpr std::uint16_t not_found = 0x0002;
inline constexpr std::uint16_t already_exists = 0x0003;
inline constexpr std::uint16_t invalid_data = 0x000A;
inline constexpr std::uint16_t limit_exceeded = 0x000C;
inline constexpr std::uint16_t icq_not_allowed = 0x000D;
inline constexpr std::uint16_t requires_authorization = 0x000E;
}  // namespace feedbag_status
const char* feedbag_status_reason(std::uint16_t code);

inline constexpr std::size_t kMaxFeedbagItems = 2048;   // per SNAC
inline constexpr std::size_t kMaxFeedbagItemTlvs = 64;  // attributes per item

struct FeedbagItem {
  std::string name;  // screen name for a buddy, group name for a group
  std::uint16_t group_id = 0;
  std::uint16_t item_id = 0;
  std::uint16_t class_id = feedbag_class::buddy;
  std::vector<Tlv> attributes;

  const Tlv* attribute(std::uint16_t type) const;
  std::optional<std::string> alias() const;
  std::vector<std::uint16_t> order() const;  // attribute 0x00C8, empty if absent
  friend bool operator==(const FeedbagItem&, const FeedbagItem&) = default;
};

Result<FeedbagItem> read_feedbag_item(ByteReader& r);
Status append_feedbag_item(Bytes& out, const FeedbagItem& item);

// 0x0013/0x0008, 0x0009, 0x000A (insert, update, delete): items back to back.
Result<std::vector<FeedbagItem>> parse_feedbag_items(ByteView body,
                                                     std::size_t max = kMaxFeedbagItems);
Status append_feedbag_items(Bytes& out, const std::vector<FeedbagItem>& items);

// 0x0013/0x0006: u8 version, u16 item count, items, u32 last change (Unix time). A list
// split over several SNACs (flag 0x0001) has the time only in the last one, and each part
// stands alone, so the time is optional.
struct FeedbagReply {
  std::uint8_t version = 0;
  std::vector<FeedbagItem> items;
  std::optional<std::uint32_t> last_update;
  friend bool operator==(const FeedbagReply&, const FeedbagReply&) = default;
};
Result<FeedbagReply> parse_feedbag_reply(ByteView body, std::size_t max = kMaxFeedbagItems);
Status append_feedbag_reply(Bytes& out, const FeedbagReply& reply);

// 0x0013/0x000E.
Result<std::vector<std::uint16_t>> parse_feedbag_status(ByteView body);

}  // namespace passerelle::oscar
