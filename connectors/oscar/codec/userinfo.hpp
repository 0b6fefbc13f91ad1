#pragma once
// The user info block (OSCAR protocol documentation, "user info block"): screen name (u8
// length), warning level (u16, tenths of a percent), a counted TLV block. It describes a
// buddy in BUDDY arrived/departed (0x0003/0x000B, 0x000C), the sender of an incoming ICBM
// (0x0004/0x0007), a LOCATE reply (0x0002/0x0006) and our own info (0x0001/0x000F).
//
// Away messages are not in the block itself: a LOCATE reply carries them in TLVs after it
// (locate.hpp is left to the session work). TLVs passerelle does not interpret are kept
// in `other`, in wire order, and written back after the known ones.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "oscar/codec/bytes.hpp"
#include "oscar/codec/tlv.hpp"

namespace passerelle::oscar {

using Capability = std::array<std::uint8_t, 16>;  // a UUID, as on the wire

namespace cap {
// {09461349-4C7F-11D1-8222-444553540000}: ICQ server relay (channel-2 messages)
inline constexpr Capability icq_server_relay = {0x09, 0x46, 0x13, 0x49, 0x4C, 0x7F, 0x11, 0xD1,
                                                0x82, 0x22, 0x44, 0x45, 0x53, 0x54, 0x00, 0x00};
// {0946134E-4C7F-11D1-8222-444553540000}: accepts UTF-8 / UCS-2 text in ICBMs
inline constexpr Capability utf8 = {0x09, 0x46, 0x13, 0x4E, 0x4C, 0x7F, 0x11, 0xD1,
                                    0x82, 0x22, 0x44, 0x45, 0x53, 0x54, 0x00, 0x00};
// {563FC809-0B6F-41BD-9F79-422609DFA2F3}: sends and accepts typing notifications
inline constexpr Capability typing = {0x56, 0x3F, 0xC8, 0x09, 0x0B, 0x6F, 0x41, 0xBD,
                                      0x9F, 0x79, 0x42, 0x26, 0x09, 0xDF, 0xA2, 0xF3};
}  // namespace cap

namespace user_tlv {
inline constexpr std::uint16_t user_class = 0x0001;    // u16 class bits
inline constexpr std::uint16_t signon_time = 0x0003;   // u32 Unix time, "online since"
inline constexpr std::uint16_t idle_minutes = 0x0004;  // u16
inline constexpr std::uint16_t member_since = 0x0005;  // u32 Unix time
inline constexpr std::uint16_t icq_status = 0x0006;    // u32: flags (hi u16), status (lo u16)
inline constexpr std::uint16_t capabilities = 0x000D;  // n x 16-byte UUIDs
inline constexpr std::uint16_t online_time = 0x000F;   // u32 seconds
}  // namespace user_tlv

namespace user_class {
inline constexpr std::uint16_t unconfirmed = 0x0001;
inline constexpr std::uint16_t administrator = 0x0002;
inline constexpr std::uint16_t aol = 0x0004;
inline constexpr std::uint16_t commercial = 0x0008;
inline constexpr std::uint16_t aim = 0x0010;
inline constexpr std::uint16_t away = 0x0020;
inline constexpr std::uint16_t icq = 0x0040;
inline constexpr std::uint16_t wireless = 0x0080;
}  // namespace user_class

// ICQ status, low 16 bits of TLV 0x0006 (bits, several may be set).
namespace icq_status {
inline constexpr std::uint16_t online = 0x0000;
inline constexpr std::uint16_t away = 0x0001;
inline constexpr std::uint16_t dnd = 0x0002;
inline constexpr std::uint16_t not_available = 0x0004;
inline constexpr std::uint16_t occupied = 0x0010;
inline constexpr std::uint16_t free_for_chat = 0x0020;
inline constexpr std::uint16_t invisible = 0x0100;
}  // namespace icq_status

// The one state an ICQ status word means, strongest bit first (clients set e.g. DND as
// 0x0013 = away | dnd | occupied).
enum class IcqState { online, free_for_chat, away, not_available, occupied, dnd, invisible };
IcqState icq_state(std::uint32_t status_tlv);
const char* icq_state_name(IcqState s);

inline constexpr std::size_t kMaxScreenName = 255;  // u8 length prefix
inline constexpr std::size_t kMaxCapabilities = 64;

struct UserInfo {
  std::string screen_name;
  std::uint16_t warning_level = 0;
  std::optional<std::uint16_t> user_class;
  std::optional<std::uint32_t> signon_time;
  std::optional<std::uint16_t> idle_minutes;
  std::optional<std::uint32_t> member_since;
  std::optional<std::uint32_t> icq_status;
  std::optional<std::uint32_t> online_time;
  std::vector<Capability> capabilities;  // TLV 0x000D, absent when empty
  std::vector<Tlv> other;

  bool away() const { return user_class && (*user_class & user_class::away) != 0; }
  bool has_capability(const Capability& c) const;
  friend bool operator==(const UserInfo&, const UserInfo&) = default;
};

// Reads one block from `r`. A known TLV with a length its type forbids is kept in `other`
// rather than failing the whole block (servers differ; the screen name still matters).
Result<UserInfo> read_user_info(ByteReader& r, std::size_t max_tlvs = kDefaultMaxTlvs);
Result<UserInfo> parse_user_info(ByteView bytes);  // exactly one block
Status append_user_info(Bytes& out, const UserInfo& u);

// BUDDY arrived / departed (0x0003/0x000B, 0x000C): one or more blocks back to back.
inline constexpr std::size_t kMaxUsersPerSnac = 512;
Result<std::vector<UserInfo>> parse_user_info_list(ByteView body,
                                                   std::size_t max_users = kMaxUsersPerSnac);

// Writes a screen name with its u8 length; fails over 255 bytes.
Status append_screen_name(Bytes& out, std::string_view sn);
Result<std::string> read_screen_name(ByteReader& r);

}  // namespace passerelle::oscar
