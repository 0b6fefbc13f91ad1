#include "oscar/codec/tlv.hpp"

#include <algorithm>

#include "oscar/codec/fault.hpp"

namespace passerelle::oscar {

namespace {

std::string hex16(std::uint16_t v) {
  static const char* d = "0123456789ABCDEF";
  return {'0', 'x', d[v >> 12], d[(v >> 8) & 15], d[(v >> 4) & 15], d[v & 15]};
}

// Reads one TLV whose header and value must lie within `r`. `where` names the enclosing
// structure for the message.
Result<TlvView> read_one(ByteReader& r, const char* where) {
  TlvView t;
  std::uint16_t len = 0;
  if (!r.u16(t.type) || !r.u16(len)) {
    return make_fault(Fault::truncated, std::string("TLV header cut short in ") + where);
  }
  if (!r.bytes(len, t.value)) {
    return make_fault(Fault::tlv_overrun, "TLV " + hex16(t.type) + " of " + std::to_string(len) +
                                              " bytes runs past its " + where + " (" +
                                              std::to_string(r.remaining()) + " left)");
  }
  return t;
}

Result<TlvList> read_until_end(ByteReader& r, std::size_t max_tlvs, const char* where) {
  TlvList list;
  list.items.reserve(std::min<std::size_t>(max_tlvs, r.remaining() / 4));
  while (!r.at_end()) {
    if (list.items.size() >= max_tlvs) {
      return make_fault(Fault::too_many_items,
                        std::string("more than ") + std::to_string(max_tlvs) + " TLVs in " + where);
    }
    auto t = read_one(r, where);
    if (!t) return t.error();
    list.items.push_back(*t);
  }
  return list;
}

Status end_prefix(Bytes& out, std::size_t at, std::size_t value, const char* what) {
  if (value > 0xFFFF) {
    out.resize(at);
    return make_fault(Fault::value_too_long, std::string(what) + " over 65,535");
  }
  patch_u16(out, at, static_cast<std::uint16_t>(value));
  return {};
}

}  // namespace

const TlvView* TlvList::find(std::uint16_t type) const {
  for (const auto& t : items) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

std::optional<std::uint8_t> TlvList::u8(std::uint16_t type) const {
  const auto* t = find(type);
  if (t == nullptr || t->value.size() != 1) return std::nullopt;
  return t->value[0];
}

std::optional<std::uint16_t> TlvList::u16(std::uint16_t type) const {
  const auto* t = find(type);
  if (t == nullptr || t->value.size() != 2) return std::nullopt;
  return static_cast<std::uint16_t>((t->value[0] << 8) | t->value[1]);
}

std::optional<std::uint32_t> TlvList::u32(std::uint16_t type) const {
  const auto* t = find(type);
  if (t == nullptr || t->value.size() != 4) return std::nullopt;
  ByteReader r(t->value);
  std::uint32_t v = 0;
  r.u32(v);
  return v;
}

std::optional<std::string> TlvList::string(std::uint16_t type) const {
  const auto* t = find(type);
  if (t == nullptr) return std::nullopt;
  return to_string(t->value);
}

std::optional<ByteView> TlvList::bytes(std::uint16_t type) const {
  const auto* t = find(type);
  if (t == nullptr) return std::nullopt;
  return t->value;
}

Result<TlvList> parse_tlv_chain(ByteView in, std::size_t max_tlvs) {
  ByteReader r(in);
  return read_until_end(r, max_tlvs, "TLV chain");
}

Result<TlvList> parse_nested_tlvs(const TlvView& outer, std::size_t max_tlvs) {
  ByteReader r(outer.value);
  const std::string where = "enclosing TLV " + hex16(outer.type);
  return read_until_end(r, max_tlvs, where.c_str());
}

Result<TlvList> read_tlv_chain(ByteReader& r, std::size_t max_tlvs) {
  return read_until_end(r, max_tlvs, "TLV chain");
}

Result<TlvList> read_tlv_block_counted(ByteReader& r, std::size_t max_tlvs) {
  std::uint16_t count = 0;
  if (!r.u16(count)) return make_fault(Fault::truncated, "TLV block count missing");
  if (count > max_tlvs) {
    return make_fault(Fault::too_many_items, "TLV block announces " + std::to_string(count) +
                                                 " TLVs, over the limit of " +
                                                 std::to_string(max_tlvs));
  }
  TlvList list;
  list.items.reserve(count);
  for (std::uint16_t i = 0; i < count; ++i) {
    auto t = read_one(r, "counted TLV block's enclosing structure");
    if (!t) return t.error();
    list.items.push_back(*t);
  }
  return list;
}

Result<TlvList> read_tlv_block_sized(ByteReader& r, std::size_t max_tlvs) {
  std::uint16_t len = 0;
  ByteView body;
  if (!r.u16(len)) return make_fault(Fault::truncated, "TLV block length missing");
  if (!r.bytes(len, body)) {
    return make_fault(Fault::block_length_mismatch,
                      "TLV block of " + std::to_string(len) + " bytes runs past its structure");
  }
  ByteReader inner(body);
  auto list = read_until_end(inner, max_tlvs, "sized TLV block");
  if (!list && fault_of(list.error()) != Fault::too_many_items) {
    return make_fault(Fault::block_length_mismatch,
                      "TLVs do not fill their sized block exactly: " + list.error().message);
  }
  return list;
}

Status append_tlv(Bytes& out, std::uint16_t type, ByteView value) {
  if (value.size() > 0xFFFF) {
    return make_fault(Fault::value_too_long, "TLV " + hex16(type) + " value over 65,535 bytes");
  }
  put_u16(out, type);
  put_u16(out, static_cast<std::uint16_t>(value.size()));
  put_bytes(out, value);
  return {};
}

void append_tlv_empty(Bytes& out, std::uint16_t type) {
  put_u16(out, type);
  put_u16(out, 0);
}

void append_tlv_u8(Bytes& out, std::uint16_t type, std::uint8_t v) {
  put_u16(out, type);
  put_u16(out, 1);
  put_u8(out, v);
}

void append_tlv_u16(Bytes& out, std::uint16_t type, std::uint16_t v) {
  put_u16(out, type);
  put_u16(out, 2);
  put_u16(out, v);
}

void append_tlv_u32(Bytes& out, std::uint16_t type, std::uint32_t v) {
  put_u16(out, type);
  put_u16(out, 4);
  put_u32(out, v);
}

Status append_tlv_chain(Bytes& out, std::span<const Tlv> tlvs) {
  const std::size_t start = out.size();
  for (const auto& t : tlvs) {
    if (auto s = append_tlv(out, t); !s) {
      out.resize(start);
      return s;
    }
  }
  return {};
}

Status append_tlv_block_counted(Bytes& out, std::span<const Tlv> tlvs) {
  const std::size_t at = begin_tlv_block_counted(out);
  if (auto s = append_tlv_chain(out, tlvs); !s) {
    out.resize(at);
    return s;
  }
  return end_tlv_block_counted(out, at, tlvs.size());
}

Status append_tlv_block_sized(Bytes& out, std::span<const Tlv> tlvs) {
  const std::size_t at = begin_tlv_block_sized(out);
  if (auto s = append_tlv_chain(out, tlvs); !s) {
    out.resize(at);
    return s;
  }
  return end_tlv_block_sized(out, at);
}

std::size_t begin_tlv(Bytes& out, std::uint16_t type) {
  put_u16(out, type);
  const std::size_t at = out.size();
  put_u16(out, 0);
  return at;
}

Status end_tlv(Bytes& out, std::size_t at) {
  const std::size_t len = out.size() - at - 2;
  if (len > 0xFFFF) {
    out.resize(at - 2);  // the type too
    return make_fault(Fault::value_too_long, "TLV value over 65,535 bytes");
  }
  patch_u16(out, at, static_cast<std::uint16_t>(len));
  return {};
}

std::size_t begin_tlv_block_sized(Bytes& out) {
  const std::size_t at = out.size();
  put_u16(out, 0);
  return at;
}

Status end_tlv_block_sized(Bytes& out, std::size_t at) {
  return end_prefix(out, at, out.size() - at - 2, "TLV block length");
}

std::size_t begin_tlv_block_counted(Bytes& out) {
  return begin_tlv_block_sized(out);
}

Status end_tlv_block_counted(Bytes& out, std::size_t at, std::size_t count) {
  return end_prefix(out, at, count, "TLV count");
}

std::vector<Tlv> to_owned(const TlvList& list) {
  std::vector<Tlv> v;
  v.reserve(list.size());
  for (const auto& t : list) v.push_back(Tlv::of(t));
  return v;
}

}  // namespace passerelle::oscar
