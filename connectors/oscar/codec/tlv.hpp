#pragma once
// TLVs (type u16, length u16, value) and the three ways OSCAR groups them (OSCAR protocol
// documentation, "TLV" section):
//   - a chain: TLVs back to back up to the end of the enclosing SNAC or TLV;
//   - a counted block: u16 number of TLVs, then that many (user info, ICBM sender info);
//   - a sized block: u16 byte length, then TLVs filling exactly that many bytes (SNAC
//     0x8000 prefix, feedbag items).
// A TLV's value is often itself a chain (nested TLVs); an inner length that runs past the
// outer value is a Fault::tlv_overrun, never a read past it.
//
// Parsing gives views (TlvView) into the caller's bytes: they live as long as those bytes
// (normally the FlapFrame payload). Tlv owns its value, for what outlives the frame.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "oscar/codec/bytes.hpp"

namespace passerelle::oscar {

// At most this many TLVs in one chain or block unless a caller says otherwise. A FLAP
// payload of 8 KiB holds at most 2,048 empty TLVs; real chains hold tens.
inline constexpr std::size_t kDefaultMaxTlvs = 256;

struct TlvView {
  std::uint16_t type = 0;
  ByteView value;
};

struct Tlv {
  std::uint16_t type = 0;
  Bytes value;

  static Tlv of(const TlvView& v) { return {v.type, Bytes(v.value.begin(), v.value.end())}; }
  static Tlv of(std::uint16_t type, std::string_view s) {
    return {type, Bytes(s.begin(), s.end())};
  }
  friend bool operator==(const Tlv&, const Tlv&) = default;
};

// TLVs in wire order. Lookups return the first TLV of a type (OSCAR never relies on a
// repeated type, except capabilities lists which are one TLV anyway).
class TlvList {
 public:
  std::vector<TlvView> items;

  const TlvView* find(std::uint16_t type) const;
  bool has(std::uint16_t type) const { return find(type) != nullptr; }
  // Typed values: nullopt when the TLV is absent or its length is not the type's size.
  std::optional<std::uint8_t> u8(std::uint16_t type) const;
  std::optional<std::uint16_t> u16(std::uint16_t type) const;
  std::optional<std::uint32_t> u32(std::uint16_t type) const;
  std::optional<std::string> string(std::uint16_t type) const;
  std::optional<ByteView> bytes(std::uint16_t type) const;

  std::size_t size() const { return items.size(); }
  bool empty() const { return items.empty(); }
  auto begin() const { return items.begin(); }
  auto end() const { return items.end(); }
};

// A chain filling `in` exactly.
Result<TlvList> parse_tlv_chain(ByteView in, std::size_t max_tlvs = kDefaultMaxTlvs);
// The chain nested in a TLV's value; an inner length that lies is Fault::tlv_overrun.
Result<TlvList> parse_nested_tlvs(const TlvView& outer, std::size_t max_tlvs = kDefaultMaxTlvs);

// Read from `r` and advance it past what they read.
Result<TlvList> read_tlv_chain(ByteReader& r, std::size_t max_tlvs = kDefaultMaxTlvs);  // to end
Result<TlvList> read_tlv_block_counted(ByteReader& r, std::size_t max_tlvs = kDefaultMaxTlvs);
Result<TlvList> read_tlv_block_sized(ByteReader& r, std::size_t max_tlvs = kDefaultMaxTlvs);

// Builders. append_tlv fails (appending nothing) on a value over 65,535 bytes.
Status append_tlv(Bytes& out, std::uint16_t type, ByteView value);
inline Status append_tlv(Bytes& out, std::uint16_t type, std::string_view value) {
  return append_tlv(out, type, as_bytes(value));
}
inline Status append_tlv(Bytes& out, const Tlv& t) {
  return append_tlv(out, t.type, t.value);
}
void append_tlv_empty(Bytes& out, std::uint16_t type);
void append_tlv_u8(Bytes& out, std::uint16_t type, std::uint8_t v);
void append_tlv_u16(Bytes& out, std::uint16_t type, std::uint16_t v);
void append_tlv_u32(Bytes& out, std::uint16_t type, std::uint32_t v);

Status append_tlv_chain(Bytes& out, std::span<const Tlv> tlvs);
Status append_tlv_block_counted(Bytes& out, std::span<const Tlv> tlvs);
Status append_tlv_block_sized(Bytes& out, std::span<const Tlv> tlvs);

// In-place builders: begin_*() reserves the u16 prefix and returns its offset; the caller
// appends TLVs (or any bytes, for a TLV whose value is built in place); end_*() patches
// the prefix, or fails and removes everything from the prefix on when it does not fit.
std::size_t begin_tlv(Bytes& out, std::uint16_t type);  // the TLV's length is the prefix
Status end_tlv(Bytes& out, std::size_t at);
std::size_t begin_tlv_block_sized(Bytes& out);
Status end_tlv_block_sized(Bytes& out, std::size_t at);
std::size_t begin_tlv_block_counted(Bytes& out);
Status end_tlv_block_counted(Bytes& out, std::size_t at, std::size_t count);

std::vector<Tlv> to_owned(const TlvList& list);

}  // namespace passerelle::oscar
