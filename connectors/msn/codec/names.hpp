#pragma once
// Names, presence and personal messages as MSNP carries them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/utf8.hpp"  // is_valid_utf8, for callers of this header

namespace passerelle::msn {

// --- URL encoding -------------------------------------------------------------------------
// Friendly names, group names and MSN objects travel as single command arguments, so
// they are %XX-encoded (upper-case hex, over the UTF-8 bytes): "Other%20Contacts",
// "%3Cmsnobj%2F%3E". The encoder escapes every byte except the RFC 3986 unreserved set
// (A-Z a-z 0-9 - . _ ~): a space, '%' and any byte >= 0x80 always are, and so is '@' (the
// Passport sign-in is written "alice%40example.com"). '+' is not a space in MSNP.
std::string url_encode(std::string_view bytes);
// Decodes %XX (either case). A '%' not followed by two hex digits is kept as it is,
// which is what the official clients do with such names.
std::string url_decode(std::string_view text);

// --- Personal message (UBX from the server, UUX from the client; MSNP11+) -------------------
//   <Data><PSM>text</PSM><CurrentMedia>media</CurrentMedia></Data>
// Text is XML-escaped on the way out and unescaped on the way in.
struct PersonalMessage {
  std::string psm;            // the status text, UTF-8
  std::string current_media;  // raw "\0Music\01\0{0} - {1}\0Title\0Artist\0..." or ""
  friend bool operator==(const PersonalMessage&, const PersonalMessage&) = default;
};
std::string build_personal_message(const PersonalMessage& pm);
// Accepts the extra elements later versions add (MachineGuid, DDP, SignatureSound...) and
// empty or self-closing <PSM/>. Refuses what is not a <Data> document.
Result<PersonalMessage> parse_personal_message(std::string_view xml);

std::string xml_escape(std::string_view text);  // & < > " '
// &amp; &lt; &gt; &quot; &apos; &#NN; &#xNN; (an unknown or bad entity is an error).
Result<std::string> xml_unescape(std::string_view text);

// --- Lists (LST/ADD/ADC/REM list bits, MSNP8..12) -------------------------------------------
namespace list {
inline constexpr unsigned forward = 1;   // FL: my contacts
inline constexpr unsigned allow = 2;     // AL: may see me
inline constexpr unsigned block = 4;     // BL: may not see me
inline constexpr unsigned reverse = 8;   // RL: has me in their FL
inline constexpr unsigned pending = 16;  // PL: asked to add me, not yet answered (MSNP12+)
}  // namespace list
// "FL" -> list::forward; nullopt for anything else.
std::optional<unsigned> list_from_code(std::string_view code);
const char* list_code(unsigned bit);  // one bit -> "FL"... ; "" otherwise

// --- Presence (CHG, ILN, NLN, FLN) ----------------------------------------------------------
enum class Status : std::uint8_t {
  online,         // NLN
  busy,           // BSY
  idle,           // IDL
  be_right_back,  // BRB
  away,           // AWY
  on_the_phone,   // PHN
  out_to_lunch,   // LUN
  hidden,         // HDN: appear offline (only in CHG from ourselves)
  offline,        // FLN
};
std::optional<Status> parse_status(std::string_view code);
const char* status_code(Status s);

// --- Client capabilities (the number after the status in CHG/ILN/NLN, MSNP8+) -------------
namespace caps {
inline constexpr std::uint32_t mobile_online = 0x01;
inline constexpr std::uint32_t msn8_user = 0x02;
inline constexpr std::uint32_t ink_gif = 0x04;
inline constexpr std::uint32_t ink_isf = 0x08;
inline constexpr std::uint32_t webcam = 0x10;
inline constexpr std::uint32_t multi_packet = 0x20;
inline constexpr std::uint32_t mobile_enabled = 0x40;
inline constexpr std::uint32_t direct_device = 0x80;
inline constexpr std::uint32_t web_client = 0x200;
inline constexpr std::uint32_t has_space = 0x1000;
inline constexpr std::uint32_t media_center = 0x2000;
inline constexpr std::uint32_t direct_im = 0x4000;
inline constexpr std::uint32_t winks = 0x8000;
inline constexpr std::uint32_t shared_search = 0x10000;
inline constexpr std::uint32_t bot = 0x20000;
inline constexpr std::uint32_t voice_clips = 0x40000;
inline constexpr std::uint32_t secure_channel = 0x80000;
inline constexpr std::uint32_t shared_folders = 0x400000;
// The top four bits give the MSNC (P2P) version: 1 = Messenger 6.0 ... 4 = 7.0, 5 = 7.5.
inline constexpr std::uint32_t msnc_shift = 28;
inline constexpr std::uint32_t msnc_mask = 0xF0000000;
}  // namespace caps
// The decimal number on the wire; nullopt unless it is one (0 .. 2^32-1).
std::optional<std::uint32_t> parse_caps(std::string_view s);
inline unsigned msnc_version(std::uint32_t c) {
  return c >> caps::msnc_shift;
}

}  // namespace passerelle::msn
