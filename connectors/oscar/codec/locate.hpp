#pragma once
// LOCATE (family 0x0002) bodies (OSCAR protocol documentation, "LOCATE" family): setting
// our profile, away message and capabilities (0x0004), asking for someone's (0x0005),
// and the reply (0x0006): a user info block, then TLVs 0x0001/0x0002 (profile MIME type
// and text), 0x0003/0x0004 (away message MIME type and text), 0x0005 (capabilities).
//
// The texts are AOL HTML in the charset their MIME type names, e.g.
// 'text/aolrtf; charset="us-ascii"' or 'text/x-aolrtf; charset="unicode-2-0"'. Decoding
// follows charset.hpp; "utf-8" is taken as UTF-8 and, when it is not valid UTF-8, read as
// Windows-1252 like the other single-byte cases. An unknown charset is Fault::bad_charset.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "oscar/codec/bytes.hpp"
#include "oscar/codec/userinfo.hpp"

namespace passerelle::oscar {

namespace locate_tlv {
inline constexpr std::uint16_t profile_mime = 0x0001;
inline constexpr std::uint16_t profile = 0x0002;
inline constexpr std::uint16_t away_mime = 0x0003;
inline constexpr std::uint16_t away = 0x0004;  // empty: no longer away
inline constexpr std::uint16_t capabilities = 0x0005;
}  // namespace locate_tlv

// 0x0002/0x0005 request type.
namespace locate_query {
inline constexpr std::uint16_t profile = 0x0001;
inline constexpr std::uint16_t away_message = 0x0003;
inline constexpr std::uint16_t capabilities = 0x0004;
}  // namespace locate_query

struct LocateText {
  std::string mime;  // as on the wire
  Bytes bytes;
  friend bool operator==(const LocateText&, const LocateText&) = default;
};

// Text in the narrowest charset (charset.hpp) with its MIME type.
Result<LocateText> make_locate_text(std::string_view utf8);
Result<std::string> locate_text_utf8(const LocateText& t);

struct LocateReply {  // 0x0002/0x0006
  UserInfo user;
  std::optional<LocateText> profile;
  std::optional<LocateText> away;
  std::vector<Capability> capabilities;
  std::vector<Tlv> other;
  friend bool operator==(const LocateReply&, const LocateReply&) = default;
};
Result<LocateReply> parse_locate_reply(ByteView body);
Status append_locate_reply(Bytes& out, const LocateReply& r);

// 0x0002/0x0004: any of profile, away message (an empty text clears it), capabilities.
struct LocateSetInfo {
  std::optional<std::string> profile_utf8;
  std::optional<std::string> away_utf8;
  std::optional<std::vector<Capability>> capabilities;
};
Status append_locate_set_info(Bytes& out, const LocateSetInfo& s);

// 0x0002/0x0005: u16 request type, screen name.
Status append_locate_query(Bytes& out, std::uint16_t type, std::string_view screen_name);

}  // namespace passerelle::oscar
