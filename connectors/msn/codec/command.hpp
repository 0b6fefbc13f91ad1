#pragma once
// MSNP commands as values (MSNP8 .. MSNP12, as spoken by the MSN revival servers).
//
// On the wire a command is one ASCII line ending in CR LF:
//
//   VER 1 MSNP12 CVR0\r\n               verb, transaction id, arguments
//   NLN AWY bob@example.com Bob 0\r\n   no transaction id (server push)
//   217 3\r\n                           a numeric error answering transaction 3
//
// Payload commands end their line with a byte count; exactly that many bytes follow the
// CR LF, with no terminator of their own:
//
//   MSG 4 A 125\r\n<125 bytes of MIME>  (client: trid, ack mode, length)
//   MSG bob@example.com Bob 125\r\n...  (server: sender, friendly name, length; no trid)
//
// Which verbs carry a payload, and which carry a transaction id, is not written in the
// line: it depends on the verb, the direction and the protocol version. That knowledge is
// the data in Grammar below; the decoder and encoder follow it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace passerelle::msn {

// Who sends the bytes being decoded.
enum class Direction { from_server, from_client };

// The protocol version negotiated by VER ("MSNP12" -> 12).
inline constexpr int kMsnp8 = 8;
inline constexpr int kMsnp12 = 12;

struct Command {
  std::string verb;                   // "MSG", "USR", or a 3-digit error code "217"
  std::optional<std::uint32_t> trid;  // transaction id, where the verb has one
  // Arguments after the trid, split on single spaces. An empty string is an empty
  // argument (a doubled or trailing space), kept so that re-encoding is byte-exact.
  // The payload byte count is not among them: it is payload->size().
  std::vector<std::string> args;
  std::optional<std::string> payload;  // raw bytes (MIME, XML) for payload commands

  bool is_error() const;                        // verb is three digits
  int error_code() const;                       // the number for an error verb, else 0
  const std::string& arg(std::size_t i) const;  // args[i] or an empty string

  friend bool operator==(const Command&, const Command&) = default;
};

// How a verb ends its line in one direction.
enum class PayloadRule : std::uint8_t {
  none,        // no payload
  always,      // the last argument is the byte count; a non-number is an error
  if_numeric,  // a payload only when the last argument (after the trid) is a number:
               // "ADL 0 87\r\n<xml>" carries one, the answer "ADL 7 OK" does not
};

struct VerbRule {
  char verb[4];
  Direction direction;
  int min_version;  // first MSNP version where the rule holds
  int max_version;  // last one (inclusive)
  PayloadRule payload;
  bool trid;  // false: the first argument is never a trid, even when it is a number
};

// The rules for one direction and version. Verbs not listed are generic: a trid when the
// first argument is a canonical decimal number, no payload.
class Grammar {
 public:
  Grammar(Direction direction, int version);
  static Grammar server(int version) { return {Direction::from_server, version}; }
  static Grammar client(int version) { return {Direction::from_client, version}; }

  PayloadRule payload_rule(std::string_view verb) const;
  bool may_have_trid(std::string_view verb) const;
  Direction direction() const { return direction_; }
  int version() const { return version_; }

  // The whole table, for documentation and tests.
  static std::span<const VerbRule> rules();

 private:
  const VerbRule* find(std::string_view verb) const;
  Direction direction_;
  int version_;
};

// Limits are data (STYLE.md habit 2); both the decoder and the encoder check them.
struct Limits {
  std::size_t max_line = 8 * 1024;      // bytes before CR LF
  std::size_t max_payload = 64 * 1024;  // payload byte count
  std::size_t max_args = 64;            // arguments per line
};

// Why a line or stream is refused (DecodeError in decoder.hpp carries it).
enum class DecodeErrc {
  line_too_long,       // no LF within max_line + 2 bytes
  bare_cr,             // a CR not followed by LF
  bare_lf,             // a LF not preceded by CR
  empty_line,          // CR LF alone
  bad_verb,            // the line does not start with a 3-letter verb or 3-digit code
  bad_payload_length,  // a payload command whose byte count is missing or not a number
  payload_too_large,   // a byte count over max_payload
  too_many_args,       // more than max_args arguments
};

const char* decode_errc_name(DecodeErrc c);

// Verbs are three upper-case ASCII letters, or three digits for an error.
bool is_valid_verb(std::string_view verb);

// A transaction id on the wire: 1..10 decimal digits, no leading zero (except "0"),
// at most 2^32-1. Anything else is an ordinary argument.
std::optional<std::uint32_t> parse_trid(std::string_view s);

// Parses one line (without its CR LF) under `grammar`. For a payload command the returned
// Command has payload set to an empty string and *payload_length to the announced count;
// the caller (the stream decoder) reads that many bytes next. Errors are invalid_input
// (limit_exceeded for a byte count over the limit); `why`, when given, says which.
Result<Command> parse_line(std::string_view line, const Grammar& grammar, const Limits& limits,
                           std::size_t* payload_length, DecodeErrc* why = nullptr);

// Appends `cmd` to `out`: the line, CR LF, and the payload bytes. When cmd.payload is set,
// its byte count is written as the last argument. Refuses (and leaves `out` unchanged) a
// bad verb, an argument holding a space, CR or LF, and anything over `limits`.
Status encode(const Command& cmd, std::string& out, const Limits& limits = {});
Result<std::string> encode(const Command& cmd, const Limits& limits = {});

// MSG acknowledgement modes a client asks for on a switchboard (MSNP8+):
//   U  no answer at all (typing notifications)
//   N  NAK only if delivery failed
//   A  ACK or NAK (normal chat text)
//   D  like A, for P2P data (MSNC); failures answered with an error code
enum class AckMode : char { unacked = 'U', nak_only = 'N', acked = 'A', data = 'D' };

// "MSG trid mode len\r\n<mime>" as a client sends it.
Command make_msg(std::uint32_t trid, AckMode mode, std::string mime);

}  // namespace passerelle::msn
