#pragma once
// Decode and encode failures of the OSCAR codec, as passerelle::Error values (STYLE.md
// habit 6). The codec's own failure kind is a Fault; it travels in Error::protocol_status
// offset by kFaultStatusBase, so it never collides with OSCAR's own numbers (SNAC error
// codes, login error codes) that the session puts there. fault_of() gets it back.

#include <optional>
#include <string>

#include "core/result.hpp"

namespace passerelle::oscar {

enum class Fault : int {
  truncated = 1,          // a field runs past the end of its frame, SNAC, block or TLV
  bad_start_byte,         // FLAP frame not starting with 0x2A: the stream is lost
  bad_channel,            // FLAP channel outside 1..5: the stream is lost
  frame_too_long,         // FLAP payload length over the configured maximum
  tlv_overrun,            // a TLV's length runs past its enclosing block or TLV
  block_length_mismatch,  // a length-prefixed TLV block not filled exactly by its TLVs
  too_many_items,         // more TLVs, fragments, items or classes than the limit
  trailing_bytes,         // bytes after the last field where none may follow
  bad_charset,            // an ICBM text charset we do not know
  bad_text,               // odd-length UCS-2, or invalid UTF-8 handed to the encoder
  value_too_long,         // a value does not fit its length field (encoder side)
  bad_value,              // a field the protocol forbids here (a repeated rate class id)
};

inline constexpr int kFaultStatusBase = 0x10000;

const char* fault_name(Fault f);

// Fault::frame_too_long, too_many_items and value_too_long are Errc::limit_exceeded,
// the rest Errc::invalid_input. None is retryable: the same bytes fail the same way.
Error make_fault(Fault f, std::string message);

// The Fault carried by an Error made by this codec; nullopt for any other Error.
std::optional<Fault> fault_of(const Error& e);

}  // namespace passerelle::oscar
