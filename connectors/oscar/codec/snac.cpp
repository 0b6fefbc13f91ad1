#include "oscar/codec/snac.hpp"

#include <string>

#include "oscar/codec/fault.hpp"
#include "oscar/codec/flap.hpp"

namespace passerelle::oscar {

Result<SnacView> parse_snac(ByteView payload) {
  ByteReader r(payload);
  SnacView v;
  if (!r.u16(v.header.family) || !r.u16(v.header.subtype) || !r.u16(v.header.flags) ||
      !r.u32(v.header.request_id)) {
    return make_fault(Fault::truncated, "SNAC shorter than its 10-byte header (" +
                                            std::to_string(payload.size()) + " bytes)");
  }
  if ((v.header.flags & snac_flag::has_prefix) != 0) {
    std::uint16_t len = 0;
    if (!r.u16(len)) return make_fault(Fault::truncated, "SNAC flag 0x8000 without its length");
    if (!r.bytes(len, v.prefix)) {
      return make_fault(Fault::block_length_mismatch, "SNAC 0x8000 block of " +
                                                          std::to_string(len) +
                                                          " bytes runs past the SNAC (" +
                                                          std::to_string(r.remaining()) + " left)");
    }
  }
  v.body = r.rest();
  return v;
}

void append_snac_header(Bytes& out, const SnacHeader& h) {
  put_u16(out, h.family);
  put_u16(out, h.subtype);
  put_u16(out, h.flags);
  put_u32(out, h.request_id);
}

Status append_snac(Bytes& out, const SnacHeader& h, ByteView body, ByteView prefix) {
  const bool has_prefix = (h.flags & snac_flag::has_prefix) != 0;
  if (has_prefix && prefix.size() > 0xFFFF) {
    return make_fault(Fault::value_too_long, "SNAC 0x8000 block over 65,535 bytes");
  }
  if (!has_prefix && !prefix.empty()) {
    return make_fault(Fault::trailing_bytes, "SNAC prefix given without flag 0x8000");
  }
  append_snac_header(out, h);
  if (has_prefix) {
    put_u16(out, static_cast<std::uint16_t>(prefix.size()));
    put_bytes(out, prefix);
  }
  put_bytes(out, body);
  return {};
}

Status append_snac_frame(Bytes& out, std::uint16_t sequence, const SnacHeader& h, ByteView body) {
  const std::size_t at = begin_flap(out, channel::snac, sequence);
  if (auto s = append_snac(out, h, body); !s) {
    out.resize(at);
    return s;
  }
  return end_flap(out, at);
}

std::size_t begin_snac_frame(Bytes& out, std::uint16_t sequence, const SnacHeader& h) {
  const std::size_t at = begin_flap(out, channel::snac, sequence);
  append_snac_header(out, h);
  return at;
}

Status end_snac_frame(Bytes& out, std::size_t frame_start) {
  return end_flap(out, frame_start);
}

}  // namespace passerelle::oscar
