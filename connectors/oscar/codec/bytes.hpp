#pragma once
// Big-endian readers and writers over untrusted bytes, shared by the OSCAR codec files.
// OSCAR puts every multi-byte integer in network byte order (FLAP, SNAC, TLV headers and
// values alike); the few little-endian fields of the ICQ family (0x0015) are read with the
// *_le helpers. A ByteReader never reads past its span: every read checks the remaining
// length first and reports failure instead.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::oscar {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string to_string(ByteView b) {
  return {b.begin(), b.end()};
}

class ByteReader {
 public:
  explicit ByteReader(ByteView b) : b_(b) {}

  std::size_t remaining() const { return b_.size() - pos_; }
  std::size_t position() const { return pos_; }
  bool at_end() const { return pos_ == b_.size(); }
  ByteView rest() const { return b_.subspan(pos_); }

  bool u8(std::uint8_t& v) {
    if (remaining() < 1) return false;
    v = b_[pos_++];
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (remaining() < 2) return false;
    v = static_cast<std::uint16_t>((b_[pos_] << 8) | b_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (remaining() < 4) return false;
    v = (std::uint32_t{b_[pos_]} << 24) | (std::uint32_t{b_[pos_ + 1]} << 16) |
        (std::uint32_t{b_[pos_ + 2]} << 8) | std::uint32_t{b_[pos_ + 3]};
    pos_ += 4;
    return true;
  }
  bool u16_le(std::uint16_t& v) {
    if (remaining() < 2) return false;
    v = static_cast<std::uint16_t>(b_[pos_] | (b_[pos_ + 1] << 8));
    pos_ += 2;
    return true;
  }
  bool u32_le(std::uint32_t& v) {
    if (remaining() < 4) return false;
    v = std::uint32_t{b_[pos_]} | (std::uint32_t{b_[pos_ + 1]} << 8) |
        (std::uint32_t{b_[pos_ + 2]} << 16) | (std::uint32_t{b_[pos_ + 3]} << 24);
    pos_ += 4;
    return true;
  }
  bool bytes(std::size_t n, ByteView& out) {
    if (remaining() < n) return false;
    out = b_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(std::size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }

 private:
  ByteView b_;
  std::size_t pos_ = 0;
};

inline void put_u8(Bytes& out, std::uint8_t v) {
  out.push_back(v);
}
inline void put_u16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
inline void put_u32(Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
inline void put_u16_le(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
inline void put_u32_le(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put_bytes(Bytes& out, ByteView b) {
  out.insert(out.end(), b.begin(), b.end());
}
inline void put_string(Bytes& out, std::string_view s) {
  put_bytes(out, as_bytes(s));
}

// Writes a big-endian u16 at `at` (a length placeholder reserved earlier).
inline void patch_u16(Bytes& out, std::size_t at, std::uint16_t v) {
  out[at] = static_cast<std::uint8_t>(v >> 8);
  out[at + 1] = static_cast<std::uint8_t>(v);
}

}  // namespace passerelle::oscar
