#pragma once
// OSERVICE (family 0x0001) bodies the session needs (OSCAR protocol documentation,
// "OSERVICE" family): the families a server offers (0x0003), version negotiation
// (0x0017/0x0018), client online (0x0002), rate classes (0x0007 reply, 0x0008 ack,
// 0x000A change) and the SNAC error body every family uses (subtype 0x0001).

#include <cstdint>
#include <optional>
#include <vector>

#include "core/result.hpp"
#include "oscar/codec/bytes.hpp"

namespace passerelle::oscar {

inline constexpr std::size_t kMaxFamilies = 64;
inline constexpr std::size_t kMaxRateClasses = 32;
inline constexpr std::size_t kMaxRateMembers = 1024;  // (family, subtype) pairs, all classes

// 0x0001/0x0003 host online, and 0x0001/0x0004 service request's first u16: families.
Result<std::vector<std::uint16_t>> parse_family_list(ByteView body);
void append_family_list(Bytes& out, const std::vector<std::uint16_t>& families);

// 0x0001/0x0017 and 0x0018: (family, version) pairs.
struct FamilyVersion {
  std::uint16_t family = 0;
  std::uint16_t version = 0;
  friend bool operator==(const FamilyVersion&, const FamilyVersion&) = default;
};
Result<std::vector<FamilyVersion>> parse_family_versions(ByteView body);
void append_family_versions(Bytes& out, const std::vector<FamilyVersion>& v);

// 0x0001/0x0002 client online: per family, its version and the client's tool id/version.
struct ClientOnlineEntry {
  std::uint16_t family = 0;
  std::uint16_t version = 0;
  std::uint16_t tool_id = 0x0110;
  std::uint16_t tool_version = 0x164F;
  friend bool operator==(const ClientOnlineEntry&, const ClientOnlineEntry&) = default;
};
Result<std::vector<ClientOnlineEntry>> parse_client_online(ByteView body);
void append_client_online(Bytes& out, const std::vector<ClientOnlineEntry>& v);

// 0x0001/0x0007 rate parameters reply: u16 class count, per class 35 bytes (id, window,
// clear, alert, limit, disconnect, current, max levels, last time, state), then per class
// its id, a u16 pair count and (family, subtype) pairs.
struct RateClass {
  std::uint16_t id = 0;
  std::uint32_t window = 0;  // moving average over this many SNACs
  std::uint32_t clear_level = 0;
  std::uint32_t alert_level = 0;
  std::uint32_t limit_level = 0;  // below it, the server drops our SNACs
  std::uint32_t disconnect_level = 0;
  std::uint32_t current_level = 0;
  std::uint32_t max_level = 0;
  std::uint32_t last_time = 0;  // ms since the class was last used, per the server
  std::uint8_t state = 0;       // server-defined; passerelle does not rely on it
  struct Member {
    std::uint16_t family = 0;
    std::uint16_t subtype = 0;
    friend bool operator==(const Member&, const Member&) = default;
  };
  std::vector<Member> members;
  friend bool operator==(const RateClass&, const RateClass&) = default;
};
Result<std::vector<RateClass>> parse_rate_params(ByteView body);
void append_rate_params(Bytes& out, const std::vector<RateClass>& classes);

// The class a (family, subtype) belongs to; nullptr if none lists it.
const RateClass* rate_class_for(const std::vector<RateClass>& classes, std::uint16_t family,
                                std::uint16_t subtype);

// 0x0001/0x0008: the class ids the client accepts.
void append_rate_ack(Bytes& out, const std::vector<RateClass>& classes);

// 0x0001/0x000A rate change: u16 code, then one class record (35 bytes, no members).
namespace rate_change {
inline constexpr std::uint16_t changed = 1;
inline constexpr std::uint16_t warning = 2;
inline constexpr std::uint16_t limited = 3;
inline constexpr std::uint16_t cleared = 4;
}  // namespace rate_change
struct RateChange {
  std::uint16_t code = 0;
  RateClass params;
};
Result<RateChange> parse_rate_change(ByteView body);

// 0x0001/0x001E set user info fields: passerelle sets the ICQ status (TLV 0x0006, u32:
// flags in the high half, icq_status::* in the low half; userinfo.hpp).
void append_set_icq_status(Bytes& out, std::uint32_t status);

// Subtype 0x0001 of any family: u16 error code, then optional TLVs (0x0008 subcode).
struct SnacErrorBody {
  std::uint16_t code = 0;
  std::optional<std::uint16_t> subcode;
};
Result<SnacErrorBody> parse_snac_error(ByteView body);
void append_snac_error(Bytes& out, std::uint16_t code);

}  // namespace passerelle::oscar
