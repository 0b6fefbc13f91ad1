#include "smpp/codec/udh.hpp"

namespace passerelle::smpp {

Result<Udh> parse_udh(std::string_view d) {
  if (d.empty()) return Error::invalid("UDH: missing UDHL");
  const std::size_t udhl = static_cast<unsigned char>(d[0]);
  if (udhl + 1 > d.size()) return Error::invalid("UDH: UDHL runs past the user data");
  Udh udh;
  udh.size = udhl + 1;
  std::size_t i = 1;
  while (i < udh.size) {
    if (i + 2 > udh.size) return Error::invalid("UDH: IE header truncated");
    const auto iei = static_cast<unsigned char>(d[i]);
    const std::size_t len = static_cast<unsigned char>(d[i + 1]);
    if (i + 2 + len > udh.size) return Error::invalid("UDH: IE length runs past UDHL");
    const auto* v = reinterpret_cast<const unsigned char*>(d.data() + i + 2);
    Concat c;
    bool is_concat = false;
    if (iei == kIeiConcat8 && len == 3) {
      c = {v[0], v[1], v[2], RefSize::bits8};
      is_concat = true;
    } else if (iei == kIeiConcat16 && len == 4) {
      c = {static_cast<std::uint16_t>((v[0] << 8) | v[1]), v[2], v[3], RefSize::bits16};
      is_concat = true;
    }
    if (is_concat && c.total != 0 && c.seq != 0 && c.seq <= c.total) udh.concat = c;
    i += 2 + len;
  }
  return udh;
}

void append_concat_udh(std::string& out, const Concat& c) {
  if (c.ref_size == RefSize::bits8) {
    out += {5, static_cast<char>(kIeiConcat8), 3, static_cast<char>(c.ref & 0xFF)};
  } else {
    out += {6, static_cast<char>(kIeiConcat16), 4, static_cast<char>(c.ref >> 8),
            static_cast<char>(c.ref & 0xFF)};
  }
  out.push_back(static_cast<char>(c.total));
  out.push_back(static_cast<char>(c.seq));
}

}  // namespace passerelle::smpp
