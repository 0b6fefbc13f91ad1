#pragma once
// MIME bodies of MSG payloads (MSNP8+). A payload is header lines ("Name: value" CR LF),
// a blank line, then the body, byte for byte:
//
//   MIME-Version: 1.0\r\n
//   Content-Type: text/plain; charset=UTF-8\r\n
//   X-MMS-IM-Format: FN=Arial; EF=; CO=0; CS=0; PF=22\r\n
//   \r\n
//   Hello from A
//
// The MSG line announces the payload in bytes, so a UTF-8 body is counted in bytes, never
// characters; the builders here return std::string whose size() is that count.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace passerelle::msn {

struct MimeHeader {
  std::string name;   // as sent ("TypingUser")
  std::string value;  // leading and trailing blanks removed
  friend bool operator==(const MimeHeader&, const MimeHeader&) = default;
};

struct MimeLimits {
  std::size_t max_headers = 64;
};

// The header block and the body of a payload. Lines end in CR LF; a payload without the
// blank line that ends the headers is refused.
struct MimeParts {
  std::vector<MimeHeader> headers;
  std::string_view body;  // points into the parsed payload
  // The value of the first header called `name` (ASCII case-insensitive), or nullptr.
  const std::string* find(std::string_view name) const;
};
Result<MimeParts> split_mime(std::string_view payload, const MimeLimits& limits = {});

// "text/plain; charset=UTF-8" -> type "text/plain" (lower case), charset "UTF-8".
struct ContentType {
  std::string type;
  std::string charset;
};
ContentType parse_content_type(std::string_view value);

// X-MMS-IM-Format: how the sender's client renders the text.
//   FN  font name, URL-encoded ("MS%20Sans%20Serif")
//   EF  effects, any of B I U S (bold, italic, underline, strike-through)
//   CO  colour, hex 0xBBGGRR without leading zeros ("ff" is red)
//   CS  Windows (GDI) character set, hex ("0" ANSI, "86" GB2312)
//   PF  pitch and family, hex ("22" = FF_SWISS | VARIABLE_PITCH)
//   RL  "1" for right-to-left text (optional)
struct TextFormat {
  std::string font = "Arial";
  std::string effects;
  std::uint32_t color = 0;
  std::uint32_t charset = 0;
  std::uint32_t pitch_family = 0x22;
  bool right_to_left = false;
  friend bool operator==(const TextFormat&, const TextFormat&) = default;
};
TextFormat parse_text_format(std::string_view value);  // unknown or bad fields keep defaults
std::string format_text_format(const TextFormat& f);

// What a MSG payload means to the bridge.
struct Text {  // text/plain: a chat message
  std::string body;
  TextFormat format;
  std::string charset;  // as announced; MSNP clients send UTF-8
};
struct Typing {  // text/x-msmsgscontrol: "user is typing" (MSG ... U)
  std::string user;
};
struct Nudge {};                   // text/x-msnmsgr-datacast with ID: 1 (MSNP11+ clients)
struct Profile {                   // text/x-msmsgsprofile from Hotmail right after login
  std::vector<MimeHeader> fields;  // LoginTime, MemberIdHigh, MSPAuth, ClientIP, ...
  const std::string* field(std::string_view name) const;
};
struct EmailNotification {  // text/x-msmsgs[initial]emailnotification from Hotmail
  bool initial = false;     // the count at login, not a new mail
  int inbox_unread = -1;    // -1 when absent
  int folders_unread = -1;
  std::string inbox_url, folders_url, post_url;
  std::string from, from_addr, subject;  // new-mail notifications only
};
struct Other {  // anything else: P2P data, ink, winks, other datacasts
  std::string content_type;
};
using MimeMessage = std::variant<Text, Typing, Nudge, Profile, EmailNotification, Other>;

Result<MimeMessage> parse_message(std::string_view payload, const MimeLimits& limits = {});

// The payloads the bridge sends on a switchboard, as MSN Messenger 7 writes them.
std::string build_text(std::string_view utf8_body, const TextFormat& format = {});
std::string build_typing(std::string_view user);  // send with AckMode::unacked
std::string build_nudge();                        // send with AckMode::nak_only

}  // namespace passerelle::msn
