#include "smpp/codec/gsm0338.hpp"

#include <array>
#include <cstdio>
#include <optional>

namespace passerelle::smpp {

namespace {

// 3GPP TS 23.038 §6.2.1: the default alphabet, septet → code point.
constexpr std::array<char32_t, 128> kDefault = {
    U'@', U'£', U'$', U'¥', U'è', U'é', U'ù', U'ì',  U'ò', U'Ç', U'\n', U'Ø', U'ø', U'\r',
    U'Å', U'å', U'Δ', U'_', U'Φ', U'Γ', U'Λ', U'Ω',  U'Π', U'Ψ', U'Σ',  U'Θ', U'Ξ', U'\xA0',
    U'Æ', U'æ', U'ß', U'É',  // 0x1B: escape
    U' ', U'!', U'"', U'#', U'¤', U'%', U'&', U'\'', U'(', U')', U'*',  U'+', U',', U'-',
    U'.', U'/', U'0', U'1', U'2', U'3', U'4', U'5',  U'6', U'7', U'8',  U'9', U':', U';',
    U'<', U'=', U'>', U'?', U'¡', U'A', U'B', U'C',  U'D', U'E', U'F',  U'G', U'H', U'I',
    U'J', U'K', U'L', U'M', U'N', U'O', U'P', U'Q',  U'R', U'S', U'T',  U'U', U'V', U'W',
    U'X', U'Y', U'Z', U'Ä', U'Ö', U'Ñ', U'Ü', U'§',  U'¿', U'a', U'b',  U'c', U'd', U'e',
    U'f', U'g', U'h', U'i', U'j', U'k', U'l', U'm',  U'n', U'o', U'p',  U'q', U'r', U's',
    U't', U'u', U'v', U'w', U'x', U'y', U'z', U'ä',  U'ö', U'ñ', U'ü',  U'à',
};

// §6.2.1.1: the extension table, reached by 0x1B + code.
struct Ext {
  std::uint8_t code;
  char32_t cp;
};
constexpr std::array<Ext, 10> kExtension = {{
    {0x0A, U'\f'},
    {0x14, U'^'},
    {0x28, U'{'},
    {0x29, U'}'},
    {0x2F, U'\\'},
    {0x3C, U'['},
    {0x3D, U'~'},
    {0x3E, U']'},
    {0x40, U'|'},
    {0x65, U'€'},
}};

// Code point → septet(s): high byte 0x1B marks an extension pair; -1 when absent.
int lookup(char32_t cp) {
  for (int i = 0; i < 128; ++i) {
    if (i != kGsmEscape && kDefault[i] == cp) return i;
  }
  for (const auto& e : kExtension) {
    if (e.cp == cp) return (kGsmEscape << 8) | e.code;
  }
  return -1;
}

// A 64K map for the BMP is overkill; a small cache of the Latin range keeps the common
// path fast and the rest goes through the linear table (138 entries).
struct Latin {
  std::array<std::int16_t, 256> v{};
  Latin() {
    for (char32_t c = 0; c < 256; ++c) v[c] = static_cast<std::int16_t>(lookup(c));
  }
};
int septets_of(char32_t cp) {
  static const Latin latin;
  return cp < 256 ? latin.v[cp] : lookup(cp);
}

std::string describe_cp(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

}  // namespace

Result<std::u32string> utf8_to_code_points(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int n;
    char32_t cp;
    if (b0 < 0x80) {
      n = 1;
      cp = b0;
    } else if ((b0 & 0xE0) == 0xC0) {
      n = 2;
      cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      n = 3;
      cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      n = 4;
      cp = b0 & 0x07;
    } else {
      return Error::invalid("invalid UTF-8: bad lead byte at offset " + std::to_string(i));
    }
    if (i + n > s.size()) return Error::invalid("invalid UTF-8: truncated sequence at the end");
    for (int k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) {
        return Error::invalid("invalid UTF-8: bad continuation at offset " + std::to_string(i + k));
      }
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return Error::invalid(
          "invalid UTF-8: overlong, surrogate or out-of-range code point at offset " +
          std::to_string(i));
    }
    out.push_back(cp);
    i += n;
  }
  return out;
}

int gsm7_septets(char32_t cp) {
  const int v = septets_of(cp);
  return v < 0 ? 0 : (v > 0xFF ? 2 : 1);
}

Result<std::string> utf8_to_gsm7(std::string_view utf8) {
  auto cps = utf8_to_code_points(utf8);
  if (!cps) return cps.error();
  std::string out;
  out.reserve(cps->size());
  for (char32_t cp : *cps) {
    const int v = septets_of(cp);
    if (v < 0)
      return Error::invalid("character " + describe_cp(cp) + " is not in the GSM 7-bit alphabet");
    if (v > 0xFF) out.push_back(static_cast<char>(kGsmEscape));
    out.push_back(static_cast<char>(v & 0x7F));
  }
  return out;
}

bool fits_gsm7(std::string_view utf8) {
  return gsm7_length(utf8).ok();
}

Result<std::size_t> gsm7_length(std::string_view utf8) {
  auto cps = utf8_to_code_points(utf8);
  if (!cps) return cps.error();
  std::size_t n = 0;
  for (char32_t cp : *cps) {
    const int k = gsm7_septets(cp);
    if (k == 0)
      return Error::invalid("character " + describe_cp(cp) + " is not in the GSM 7-bit alphabet");
    n += static_cast<std::size_t>(k);
  }
  return n;
}

Result<std::string> gsm7_to_utf8(std::string_view septets) {
  std::string out;
  out.reserve(septets.size());
  for (std::size_t i = 0; i < septets.size(); ++i) {
    const auto s = static_cast<unsigned char>(septets[i]);
    if (s > 0x7F)
      return Error::invalid("GSM 7-bit text has an octet above 0x7F at offset " +
                            std::to_string(i));
    if (s != kGsmEscape) {
      append_utf8(out, kDefault[s]);
      continue;
    }
    if (i + 1 == septets.size()) break;  // lone escape at the end
    const auto c = static_cast<unsigned char>(septets[++i]);
    if (c > 0x7F)
      return Error::invalid("GSM 7-bit text has an octet above 0x7F at offset " +
                            std::to_string(i));
    char32_t cp = c == kGsmEscape ? U' ' : kDefault[c];  // 0x1B 0x1B: reserved, shown as a space
    for (const auto& e : kExtension) {
      if (e.code == c) cp = e.cp;
    }
    append_utf8(out, cp);
  }
  return out;
}

std::string pack_septets(std::string_view septets, int fill_bits) {
  std::string out;
  out.reserve((septets.size() * 7 + fill_bits + 7) / 8);
  unsigned acc = 0;
  int bits = fill_bits;
  for (char c : septets) {
    acc |= (static_cast<unsigned>(c) & 0x7F) << bits;
    bits += 7;
    while (bits >= 8) {
      out.push_back(static_cast<char>(acc & 0xFF));
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out.push_back(static_cast<char>(acc & 0xFF));
  return out;
}

std::string unpack_septets(std::string_view octets, std::size_t count, int fill_bits) {
  std::string out;
  const std::size_t total_bits = octets.size() * 8;
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t bit = static_cast<std::size_t>(fill_bits) + k * 7;
    if (bit + 7 > total_bits) break;
    const std::size_t byte = bit / 8;
    const unsigned shift = bit % 8;
    unsigned v = static_cast<unsigned char>(octets[byte]) >> shift;
    if (shift > 1)
      v |= static_cast<unsigned>(static_cast<unsigned char>(octets[byte + 1])) << (8 - shift);
    out.push_back(static_cast<char>(v & 0x7F));
  }
  return out;
}

Result<std::string> utf8_to_ucs2(std::string_view utf8) {
  auto cps = utf8_to_code_points(utf8);
  if (!cps) return cps.error();
  std::string out;
  out.reserve(cps->size() * 2);
  auto unit = [&](unsigned u) {
    out.push_back(static_cast<char>(u >> 8));
    out.push_back(static_cast<char>(u & 0xFF));
  };
  for (char32_t cp : *cps) {
    if (cp < 0x10000) {
      unit(cp);
    } else {
      cp -= 0x10000;
      unit(0xD800 + (cp >> 10));
      unit(0xDC00 + (cp & 0x3FF));
    }
  }
  return out;
}

Result<std::string> ucs2_to_utf8(std::string_view o) {
  if (o.size() % 2 != 0) return Error::invalid("UCS-2 text has an odd number of octets");
  std::string out;
  out.reserve(o.size());
  auto at = [&](std::size_t i) {
    return static_cast<char32_t>((static_cast<unsigned char>(o[i]) << 8) |
                                 static_cast<unsigned char>(o[i + 1]));
  };
  for (std::size_t i = 0; i < o.size(); i += 2) {
    char32_t u = at(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 2 < o.size()) {
      const char32_t lo = at(i + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        i += 2;
        continue;
      }
    }
    if (u >= 0xD800 && u <= 0xDFFF) u = 0xFFFD;
    append_utf8(out, u);
  }
  return out;
}

Result<std::size_t> utf16_length(std::string_view utf8) {
  auto cps = utf8_to_code_points(utf8);
  if (!cps) return cps.error();
  std::size_t n = 0;
  for (char32_t cp : *cps) n += cp < 0x10000 ? 1 : 2;
  return n;
}

Result<std::string> decode_text(std::uint8_t dc, std::string_view octets) {
  auto latin1 = [&] {
    std::string out;
    for (char c : octets) append_utf8(out, static_cast<unsigned char>(c));
    return out;
  };
  if ((dc & 0xF0) == 0xF0)
    dc = (dc & 0x04) ? coding::binary8 : coding::smsc_default;  // §5.2.19 class bits
  switch (dc) {
    case coding::smsc_default: {
      auto t = gsm7_to_utf8(octets);
      if (t) return t;
      return latin1();
    }
    case coding::ia5:
    case coding::latin1:
      return latin1();
    case coding::ucs2:
      return ucs2_to_utf8(octets);
    default: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02X", dc);
      return Error::invalid(std::string("data_coding ") + buf + " is not text");
    }
  }
}

}  // namespace passerelle::smpp
