#pragma once
// Decoding SMPP PDUs from untrusted bytes. Errors are values; nothing here throws or
// aborts, and no buffer grows past the configured maximum PDU size.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "smpp/codec/pdu.hpp"

namespace passerelle::smpp {

enum class DecodeErrc {
  bad_length,       // command_length < 16 or > max: the stream cannot be resynchronised
  unknown_command,  // command_id not handled; the body was skipped
  truncated,        // a mandatory field or C-octet string runs past command_length
  trailing_bytes,   // bytes after the last field that are not a TLV stream
  bad_tlv,          // a TLV header or length runs past command_length
  bad_tlv_length,   // a known TLV with a length its type forbids
};

const char* decode_errc_name(DecodeErrc c);

struct DecodeError {
  DecodeErrc code = DecodeErrc::truncated;
  // The header fields, valid unless code == bad_length (then only what could be read).
  std::uint32_t command_id = 0;
  std::uint32_t sequence_number = 0;
  // The command_status to answer with (generic_nack, or the response to this request).
  std::uint32_t status = 0;
  std::string message;

  // The byte stream is lost: log, then close the connection.
  bool fatal() const { return code == DecodeErrc::bad_length; }
  friend bool operator==(const DecodeError&, const DecodeError&) = default;
};

// Decodes one whole PDU: `bytes` must be exactly command_length long.
std::variant<Pdu, DecodeError> decode_pdu(std::span<const std::uint8_t> bytes,
                                          std::size_t max_pdu = kDefaultMaxPdu);

struct NeedMore {
  friend bool operator==(const NeedMore&, const NeedMore&) = default;
};
using DecodeOutcome = std::variant<NeedMore, Pdu, DecodeError>;

struct DecodeStep {
  std::size_t consumed = 0;  // octets taken from the input
  DecodeOutcome outcome;
};

// Frames a byte stream into PDUs, like Beast's basic_parser::put: it consumes input up to
// the end of one PDU and returns it, or consumes everything and says NeedMore. It holds at
// most one partial PDU (<= max_pdu octets). After a fatal error it keeps returning the
// same error until reset().
//
//   while (!in.empty()) {
//     auto step = decoder.decode(in);
//     in = in.subspan(step.consumed);
//     ... handle step.outcome; stop on a fatal DecodeError ...
//   }
class PduDecoder {
 public:
  explicit PduDecoder(std::size_t max_pdu = kDefaultMaxPdu) : max_pdu_(max_pdu) {}

  DecodeStep decode(std::span<const std::uint8_t> input);
  void reset();
  std::size_t buffered() const { return buf_.size(); }

 private:
  std::size_t max_pdu_;
  std::vector<std::uint8_t> buf_;
  std::size_t expected_ = 0;  // command_length once the header is in, else 0
  std::optional<DecodeError> fatal_;
};

}  // namespace passerelle::smpp
