#pragma once
// SNAC, the message unit carried in FLAP channel 2 (OSCAR protocol documentation, "SNAC"
// section): family u16, subtype u16, flags u16, request id u32, then the body. When flags
// has bit 0x8000 set, the body starts with a u16 length and that many bytes of TLVs
// (servers use it for a family version); parse_snac() separates it as `prefix`.
// Bit 0x0001 says more SNACs of the same request follow (split feedbag replies).
//
// parse_snac() does not look at the family: a SNAC of a family passerelle does not know is
// returned as an opaque body, not an error; the session decides whether to ignore it.

#include <cstddef>
#include <cstdint>

#include "core/result.hpp"
#include "oscar/codec/bytes.hpp"

namespace passerelle::oscar {

inline constexpr std::size_t kSnacHeaderSize = 10;

namespace snac_flag {
inline constexpr std::uint16_t more_follows = 0x0001;
inline constexpr std::uint16_t has_prefix = 0x8000;
}  // namespace snac_flag

struct SnacHeader {
  std::uint16_t family = 0;
  std::uint16_t subtype = 0;
  std::uint16_t flags = 0;
  std::uint32_t request_id = 0;
  friend bool operator==(const SnacHeader&, const SnacHeader&) = default;
};

// Views into the FLAP payload it was parsed from.
struct SnacView {
  SnacHeader header;
  ByteView prefix;  // the bytes of the 0x8000 block (a TLV chain), without its u16 length
  ByteView body;    // what follows the header and the prefix

  bool is(std::uint16_t family, std::uint16_t subtype) const {
    return header.family == family && header.subtype == subtype;
  }
};

// Fails on a payload shorter than 10 bytes, or a 0x8000 prefix longer than the rest.
Result<SnacView> parse_snac(ByteView flap_payload);

void append_snac_header(Bytes& out, const SnacHeader& h);
// Header, then the prefix block (only when h.flags has 0x8000; `prefix` must then fit in
// 65,535 bytes), then the body.
Status append_snac(Bytes& out, const SnacHeader& h, ByteView body, ByteView prefix = {});
// A whole FLAP channel-2 frame carrying one SNAC.
Status append_snac_frame(Bytes& out, std::uint16_t sequence, const SnacHeader& h, ByteView body);
// The same, built in place: begin_snac_frame() writes the FLAP and SNAC headers (h.flags
// must not have 0x8000) and returns the frame's offset; the caller appends the body;
// end_snac_frame() patches the FLAP length (or removes the frame when over 65,535 bytes).
std::size_t begin_snac_frame(Bytes& out, std::uint16_t sequence, const SnacHeader& h);
Status end_snac_frame(Bytes& out, std::size_t frame_start);

}  // namespace passerelle::oscar
