#pragma once
// The ICQ extensions OSCAR carries (iserverd's ICQ v7/v8 protocol pages, "family 0x0015"
// and "channel 4 messages"). Unlike the rest of OSCAR their inner fields are
// little-endian.
//
// Family 0x0015 wraps old ICQ requests in TLV 0x0001 of a 0x0002 (client) or 0x0003
// (server) SNAC: u16 LE size of what follows, u32 LE own UIN, u16 LE type, u16 LE
// sequence, data. passerelle uses it for offline messages: request 0x003C, the server
// answers one 0x0041 per stored message then 0x0042, and the client deletes them with
// 0x003E. Channel-4 ICBMs (old ICQ clients, server notices) hold, in TLV 0x0005:
// u32 LE sender UIN, u8 message type, u8 flags, u16 LE length, NUL-terminated text.
//
// ICQ text has no charset field: it is the sender's code page, or UTF-8 from newer
// clients. icq_text_utf8() takes valid UTF-8 as is and reads anything else as
// Windows-1252 (what Western ICQ clients sent); other code pages come out mangled but
// never rejected.

#include <cstdint>
#include <string>

#include "core/result.hpp"
#include "oscar/codec/bytes.hpp"

namespace passerelle::oscar {

namespace icq_meta {
inline constexpr std::uint16_t offline_request = 0x003C;
inline constexpr std::uint16_t offline_ack = 0x003E;  // delete what was delivered
inline constexpr std::uint16_t offline_message = 0x0041;
inline constexpr std::uint16_t offline_done = 0x0042;
inline constexpr std::uint16_t meta_request = 0x07D0;
inline constexpr std::uint16_t meta_reply = 0x07DA;
}  // namespace icq_meta

namespace icq_msg_type {
inline constexpr std::uint8_t plain = 0x01;
inline constexpr std::uint8_t url = 0x04;  // description 0xFE url
inline constexpr std::uint8_t auth_request = 0x06;
inline constexpr std::uint8_t auth_denied = 0x07;
inline constexpr std::uint8_t auth_granted = 0x08;
inline constexpr std::uint8_t added = 0x0C;  // "you were added"
}  // namespace icq_msg_type

struct IcqMeta {
  std::uint32_t uin = 0;  // our own UIN
  std::uint16_t type = 0;
  std::uint16_t sequence = 0;
  Bytes data;
  friend bool operator==(const IcqMeta&, const IcqMeta&) = default;
};
// A 0x0015/0x0002 or 0x0003 SNAC body (the TLV 0x0001 and its contents).
Result<IcqMeta> parse_icq_meta(ByteView snac_body);
Status append_icq_meta(Bytes& out, const IcqMeta& m);

// The data of a 0x0041 reply.
struct IcqOfflineMessage {
  std::uint32_t sender = 0;
  std::uint16_t year = 0;
  std::uint8_t month = 0, day = 0, hour = 0, minute = 0;  // hour in GMT
  std::uint8_t type = icq_msg_type::plain;
  std::uint8_t flags = 0;
  Bytes text;  // without its terminating NUL
  friend bool operator==(const IcqOfflineMessage&, const IcqOfflineMessage&) = default;
};
Result<IcqOfflineMessage> parse_icq_offline_message(ByteView data);
Status append_icq_offline_message(Bytes& out, const IcqOfflineMessage& m);

// TLV 0x0005 of a channel-4 ICBM.
struct IcqChannel4Message {
  std::uint32_t sender = 0;
  std::uint8_t type = icq_msg_type::plain;
  std::uint8_t flags = 0;
  Bytes text;  // without its terminating NUL
  friend bool operator==(const IcqChannel4Message&, const IcqChannel4Message&) = default;
};
Result<IcqChannel4Message> parse_icq_channel4(ByteView tlv_value);
Status append_icq_channel4(Bytes& out, const IcqChannel4Message& m);

std::string icq_text_utf8(ByteView text);

}  // namespace passerelle::oscar
