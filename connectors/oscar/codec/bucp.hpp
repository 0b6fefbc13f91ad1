#pragma once
// Password proofs for OSCAR login (OSCAR protocol documentation, "BUCP" family 0x0017 and
// "FLAP channel 1 authorization").
//
// MD5 login: the client asks for a challenge (0x0017/0x0006), the server answers with an
// auth key (0x0017/0x0007), and the login request (0x0017/0x0002) carries in TLV 0x0025
//   weak:   md5(authkey || password || "AOL Instant Messenger (SM)")
//   strong: md5(authkey || md5(password) || "AOL Instant Messenger (SM)")
// the strong form being the one a client uses when it also sends TLV 0x004C (empty).
//
// Roasting: the older channel-1 login (still what ICQ servers take) sends the password
// XORed with a fixed 16-byte table, repeated, in TLV 0x0002. It hides nothing; it is only
// the wire format.
//
// MD5 comes from OpenSSL's EVP interface; a provider without MD5 (a FIPS-only build)
// makes the hashes fail with Errc::internal instead of aborting.

#include <array>
#include <cstdint>
#include <string_view>

#include "core/result.hpp"
#include "oscar/codec/bytes.hpp"

namespace passerelle::oscar {

using Md5Digest = std::array<std::uint8_t, 16>;

inline constexpr std::string_view kAimMd5Suffix = "AOL Instant Messenger (SM)";
inline constexpr std::array<std::uint8_t, 16> kRoastTable = {
    0xF3, 0x26, 0x81, 0xC4, 0x39, 0x86, 0xDB, 0x92, 0x71, 0xA3, 0xB9, 0xE6, 0x53, 0x7A, 0x95, 0x7C};

Result<Md5Digest> md5(ByteView data);
Result<Md5Digest> bucp_weak_hash(std::string_view authkey, std::string_view password);
Result<Md5Digest> bucp_strong_hash(std::string_view authkey, std::string_view password);

// Roasting is its own inverse.
Bytes roast_password(std::string_view password);

}  // namespace passerelle::oscar
