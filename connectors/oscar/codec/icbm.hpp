#pragma once
// ICBM (family 0x0004) messages passerelle sends and receives (OSCAR protocol
// documentation, "ICBM" family; "channel 1 message data"):
//   0x0006 client -> server: cookie[8], channel u16, screen name (u8 length), TLVs;
//   0x0007 server -> client: cookie[8], channel u16, sender user info block, TLVs;
//   0x000C host ack:         cookie[8], channel u16, screen name;
//   0x0014 client event:     cookie[8], channel u16, screen name, u16 typing state.
// On channel 1, TLV 0x0002 holds message fragments: u8 id, u8 version, u16 length, data.
// Fragment 0x05 lists required capabilities (bytes), fragment 0x01 is text: u16 charset,
// u16 subset, text bytes (charset.hpp). Channels 2 (rendezvous) and 4 (ICQ) keep their
// TLVs opaque in `other` for now.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "oscar/codec/bytes.hpp"
#include "oscar/codec/charset.hpp"
#include "oscar/codec/tlv.hpp"
#include "oscar/codec/userinfo.hpp"

namespace passerelle::oscar {

using IcbmCookie = std::array<std::uint8_t, 8>;

namespace icbm_channel {
inline constexpr std::uint16_t im = 1;          // plain instant message
inline constexpr std::uint16_t rendezvous = 2;  // files, ICQ server relay
inline constexpr std::uint16_t icq = 4;         // old-style ICQ messages
}  // namespace icbm_channel

namespace icbm_tlv {
inline constexpr std::uint16_t message_data = 0x0002;      // channel-1 fragments
inline constexpr std::uint16_t request_host_ack = 0x0003;  // empty; ask for 0x0004/0x000C
inline constexpr std::uint16_t auto_response = 0x0004;     // empty; an away auto-reply
inline constexpr std::uint16_t store_offline = 0x0006;     // empty; keep if recipient offline
inline constexpr std::uint16_t offline_time = 0x0016;      // u32 Unix time of a stored message
}  // namespace icbm_tlv

namespace fragment_id {
inline constexpr std::uint8_t text = 0x01;
inline constexpr std::uint8_t capabilities = 0x05;
}  // namespace fragment_id

inline constexpr std::size_t kMaxFragments = 32;

struct Fragment {
  std::uint8_t id = fragment_id::text;
  std::uint8_t version = 1;
  Bytes data;
  friend bool operator==(const Fragment&, const Fragment&) = default;
};

// Typing notification states (0x0004/0x0014).
namespace typing {
inline constexpr std::uint16_t done = 0;   // stopped, text cleared
inline constexpr std::uint16_t typed = 1;  // stopped, text still entered
inline constexpr std::uint16_t begun = 2;  // typing
}  // namespace typing

struct OutgoingIm {  // 0x0004/0x0006
  IcbmCookie cookie{};
  std::uint16_t channel = icbm_channel::im;
  std::string screen_name;
  std::vector<Fragment> fragments;  // channel 1 only
  bool request_host_ack = false;
  bool store_offline = false;
  std::vector<Tlv> other;
  friend bool operator==(const OutgoingIm&, const OutgoingIm&) = default;
};

struct IncomingIm {  // 0x0004/0x0007
  IcbmCookie cookie{};
  std::uint16_t channel = icbm_channel::im;
  UserInfo sender;
  std::vector<Fragment> fragments;  // channel 1 only
  bool auto_response = false;
  std::optional<std::uint32_t> offline_time;  // set when the server stored it for us
  std::vector<Tlv> other;
  friend bool operator==(const IncomingIm&, const IncomingIm&) = default;
};

struct HostAck {  // 0x0004/0x000C
  IcbmCookie cookie{};
  std::uint16_t channel = icbm_channel::im;
  std::string screen_name;
  friend bool operator==(const HostAck&, const HostAck&) = default;
};

struct TypingEvent {  // 0x0004/0x0014
  IcbmCookie cookie{};
  std::uint16_t channel = icbm_channel::im;
  std::string screen_name;
  std::uint16_t state = typing::begun;
  friend bool operator==(const TypingEvent&, const TypingEvent&) = default;
};

// ICBM parameters: 0x0004/0x0005 reply to a query, and 0x0004/0x0002 to set them (channel
// 0 = all channels). Flags: 0x01 messages allowed, 0x02 missed-call notices, 0x08 typing
// notifications.
namespace icbm_flag {
inline constexpr std::uint32_t messages_allowed = 0x00000001;
inline constexpr std::uint32_t missed_calls = 0x00000002;
inline constexpr std::uint32_t typing_notifications = 0x00000008;
}  // namespace icbm_flag
struct IcbmParams {
  std::uint16_t channel = 0;
  std::uint32_t flags = icbm_flag::messages_allowed | icbm_flag::missed_calls;
  std::uint16_t max_snac_size = 512;  // the longest message the server will carry
  std::uint16_t max_sender_warning = 999;
  std::uint16_t max_receiver_warning = 999;
  std::uint16_t min_interval_ms = 0;
  std::uint16_t unknown = 1000;
  friend bool operator==(const IcbmParams&, const IcbmParams&) = default;
};
Result<IcbmParams> parse_icbm_params(ByteView body);
void append_icbm_params(Bytes& out, const IcbmParams& p);

// Fragments of a channel-1 TLV 0x0002 value.
Result<std::vector<Fragment>> parse_fragments(ByteView data, std::size_t max = kMaxFragments);
Status append_fragments(Bytes& out, std::span<const Fragment> fragments);

// A text fragment from encoded text, and back.
Fragment make_text_fragment(const EncodedText& t, std::uint16_t subset = 0);
Result<EncodedText> fragment_text(const Fragment& f);  // f.id must be fragment_id::text

// The message's text in UTF-8: every text fragment decoded, in order, concatenated.
// No text fragment gives an empty string.
Result<std::string> message_text(std::span<const Fragment> fragments);

// A channel-1 text message to `screen_name`: capabilities fragment {0x01} then the text in
// the narrowest charset (charset.hpp). Fails on invalid UTF-8, or a text over 65,531 bytes
// once encoded.
Result<OutgoingIm> make_text_im(const IcbmCookie& cookie, std::string screen_name,
                                std::string_view utf8, bool request_host_ack = true,
                                bool store_offline = false);

// Bodies only (the SNAC header is the caller's; see snac.hpp's begin_snac_frame).
Result<OutgoingIm> parse_outgoing_im(ByteView body);
Status append_outgoing_im(Bytes& out, const OutgoingIm& m);
Result<IncomingIm> parse_incoming_im(ByteView body);
Status append_incoming_im(Bytes& out, const IncomingIm& m);
Result<HostAck> parse_host_ack(ByteView body);
Status append_host_ack(Bytes& out, const HostAck& a);
Result<TypingEvent> parse_typing_event(ByteView body);
Status append_typing_event(Bytes& out, const TypingEvent& t);

}  // namespace passerelle::oscar
