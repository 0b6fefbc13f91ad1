#pragma once
// Test helpers: "2a 02 00 01" -> bytes, bytes -> "2a020001".
#include <cctype>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::oscar::test {

inline std::vector<std::uint8_t> hex(std::string_view s) {
  std::vector<std::uint8_t> out;
  int hi = -1;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) continue;
    const int v =
        std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10);
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

inline std::string to_hex(std::span<const std::uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto x : b) {
    s.push_back(d[x >> 4]);
    s.push_back(d[x & 15]);
  }
  return s;
}

// The frames of tests/vectors/oscar.json, for tests that must run without a JSON reader.
inline constexpr const char* kVectorFrames[] = {
    "2a011234000400000001",
    "2a020001001300170006000000000001000100057573657231",
    "2a020002003100040006000000000002000000000000000100010575736572320002000f0501000101010100"
    "0600000000686900030000",
    "2a020003001c00040014000000000003000000000000000000010575736572320002",
    "2a0500040000",
    "2a020005003200010002000000000005000100040110164f001300040110164f000200010110164f00030001"
    "0110164f000400010110164f",
};

}  // namespace passerelle::oscar::test
