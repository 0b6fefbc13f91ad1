#include "oscar/codec/charset.hpp"

#include <algorithm>

#include "core/utf8.hpp"
#include "oscar/codec/fault.hpp"

namespace passerelle::oscar {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Windows-1252 0x80..0x9F; 0 where the code page leaves the byte undefined.
constexpr char16_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

std::string decode_single_byte(ByteView bytes) {
  // Most text is ASCII: copy the run before the first high byte in one go.
  auto high = std::find_if(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b >= 0x80; });
  std::string out(bytes.begin(), high);
  if (high == bytes.end()) return out;
  out.reserve(2 * bytes.size());
  for (auto it = high; it != bytes.end(); ++it) {
    const std::uint8_t b = *it;
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
    } else if (b < 0xA0) {
      const char16_t c = kCp1252High[b - 0x80];
      append_utf8(out, c != 0 ? char32_t{c} : kReplacement);
    } else {
      append_utf8(out, b);
    }
  }
  return out;
}

}  // namespace

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  char32_t cp = 0;
  while (i < s.size()) {
    if (!next_code_point(s, i, cp)) return false;
  }
  return true;
}

Result<EncodedText> encode_text(std::string_view utf8) {
  EncodedText t;
  // Most text is ASCII, which is valid UTF-8 and sent as is.
  if (std::all_of(utf8.begin(), utf8.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    t.bytes.assign(utf8.begin(), utf8.end());
    return t;
  }
  // First pass: validate and find the widest character.
  char32_t widest = 0;
  bool c1 = false;
  std::size_t units = 0;  // UTF-16 code units
  for (std::size_t i = 0; i < utf8.size();) {
    char32_t cp = 0;
    const std::size_t at = i;
    if (!next_code_point(utf8, i, cp)) {
      return make_fault(Fault::bad_text, "text is not valid UTF-8 at byte " + std::to_string(at));
    }
    widest = std::max(widest, cp);
    c1 = c1 || (cp >= 0x80 && cp < 0xA0);
    units += cp >= 0x10000 ? 2 : 1;
  }
  std::size_t i = 0;
  char32_t cp = 0;
  if (widest < 0x100 && !c1) {
    t.charset = charset::latin1;
    t.bytes.reserve(units);
    while (i < utf8.size() && next_code_point(utf8, i, cp)) {
      t.bytes.push_back(static_cast<std::uint8_t>(cp));
    }
    return t;
  }
  t.charset = charset::ucs2be;
  t.bytes.reserve(2 * units);
  while (i < utf8.size() && next_code_point(utf8, i, cp)) {
    if (cp >= 0x10000) {
      const char32_t v = cp - 0x10000;
      put_u16(t.bytes, static_cast<std::uint16_t>(0xD800 | (v >> 10)));
      put_u16(t.bytes, static_cast<std::uint16_t>(0xDC00 | (v & 0x3FF)));
    } else {
      put_u16(t.bytes, static_cast<std::uint16_t>(cp));
    }
  }
  return t;
}

Result<std::string> decode_text(std::uint16_t cs, ByteView bytes) {
  switch (cs) {
    case charset::ascii:
    case charset::latin1:
      return decode_single_byte(bytes);
    case charset::ucs2be:
      break;
    default:
      return make_fault(Fault::bad_charset,
                        "message text in unknown charset " + std::to_string(cs));
  }
  if (bytes.size() % 2 != 0) {
    return make_fault(Fault::bad_text, "UCS-2 text of odd length " + std::to_string(bytes.size()));
  }
  std::string out;
  out.reserve(bytes.size());
  const std::size_t n = bytes.size() / 2;
  auto unit = [&](std::size_t k) {
    return static_cast<char16_t>((bytes[2 * k] << 8) | bytes[2 * k + 1]);
  };
  for (std::size_t k = 0; k < n; ++k) {
    const char16_t u = unit(k);
    if (u >= 0xD800 && u <= 0xDBFF && k + 1 < n) {
      const char16_t lo = unit(k + 1);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((char32_t{u} - 0xD800) << 10) + (char32_t{lo} - 0xDC00));
        ++k;
        continue;
      }
    }
    append_utf8(out, (u >= 0xD800 && u <= 0xDFFF) ? kReplacement : char32_t{u});
  }
  return out;
}

}  // namespace passerelle::oscar
