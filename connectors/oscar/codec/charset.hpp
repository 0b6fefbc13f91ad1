#pragma once
// Text in ICBM channel-1 message fragments (OSCAR protocol documentation, ICBM "message
// text" fragment 0x0101): a u16 charset, a u16 subset (0xFFFF or 0x0000, not used), then
// the text bytes. passerelle keeps text in UTF-8 and converts at this boundary only.
//
// Encoding (UTF-8 from the core, to the wire) picks the narrowest charset that holds the
// whole text: ASCII (0x0000) if every character is below U+0080; else ISO-8859-1 (0x0003)
// if every character is in U+00A0..U+00FF (C1 controls excluded, see decoding); else
// UCS-2BE (0x0002), written as UTF-16BE so that characters beyond U+FFFF (emoji) become
// surrogate pairs. Invalid UTF-8 is a Fault::bad_text error: the core only hands out
// UTF-8, so an invalid string is a bug upstream and is not sent half-mangled.
//
// Decoding (from the network, untrusted) is lenient where a reader still gets the text:
//   - 0x0000 with bytes >= 0x80 (old clients put their local charset there) and 0x0003 are
//     read as Windows-1252, the superset of ISO-8859-1 those clients really sent; bytes
//     0x80..0x9F it leaves undefined become U+FFFD;
//   - 0x0002: unpaired surrogates become U+FFFD; an odd byte count is Fault::bad_text;
//   - any other charset is Fault::bad_charset (the session says so to the user).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "oscar/codec/bytes.hpp"

namespace passerelle::oscar {

namespace charset {
inline constexpr std::uint16_t ascii = 0x0000;
inline constexpr std::uint16_t ucs2be = 0x0002;
inline constexpr std::uint16_t latin1 = 0x0003;
}  // namespace charset

struct EncodedText {
  std::uint16_t charset = charset::ascii;
  Bytes bytes;
  friend bool operator==(const EncodedText&, const EncodedText&) = default;
};

Result<EncodedText> encode_text(std::string_view utf8);
Result<std::string> decode_text(std::uint16_t charset, ByteView bytes);

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or values over U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace passerelle::oscar
