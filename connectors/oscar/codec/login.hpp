#pragma once
// Login bodies (OSCAR protocol documentation, "BUCP" family 0x0017, "FLAP channel 1" and
// "channel 4"): the challenge and login request a client sends, the auth key and the reply
// it gets, the channel-1 hello (with the BOS cookie when signing on to the BOS server, or
// with a roasted password for the old ICQ login), and channel-4 close frames.
// Hashes and roasting are in bucp.hpp.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "oscar/codec/bucp.hpp"
#include "oscar/codec/bytes.hpp"
#include "oscar/codec/tlv.hpp"

namespace passerelle::oscar {

namespace login_tlv {
inline constexpr std::uint16_t screen_name = 0x0001;
inline constexpr std::uint16_t roasted_password = 0x0002;  // channel-1 login
inline constexpr std::uint16_t client_name = 0x0003;       // string
inline constexpr std::uint16_t error_url = 0x0004;
inline constexpr std::uint16_t bos_address = 0x0005;      // "host:port"
inline constexpr std::uint16_t cookie = 0x0006;           // opaque, for the BOS hello
inline constexpr std::uint16_t error_code = 0x0008;       // login_error::* (families.hpp)
inline constexpr std::uint16_t disconnect_code = 0x0009;  // disconnect::* on a BOS close
inline constexpr std::uint16_t country = 0x000E;
inline constexpr std::uint16_t language = 0x000F;
inline constexpr std::uint16_t distribution = 0x0014;  // u32
inline constexpr std::uint16_t client_id = 0x0016;     // u16
inline constexpr std::uint16_t major = 0x0017;
inline constexpr std::uint16_t minor = 0x0018;
inline constexpr std::uint16_t lesser = 0x0019;
inline constexpr std::uint16_t build = 0x001A;
inline constexpr std::uint16_t password_hash = 0x0025;  // 16 bytes
inline constexpr std::uint16_t multiconn = 0x004A;      // u8
inline constexpr std::uint16_t strong_hash = 0x004C;    // empty: hash uses md5(password)
}  // namespace login_tlv

// How the client presents itself. Servers of the revival networks accept any values; some
// gate features on the client id.
struct ClientIdent {
  std::string name = "passerelle";
  std::uint16_t id = 0x0109;
  std::uint16_t major = 5;
  std::uint16_t minor = 9;
  std::uint16_t lesser = 0;
  std::uint16_t build = 3702;
  std::uint32_t distribution = 0x00000111;
  std::string language = "en";
  std::string country = "us";
};
Status append_client_ident(Bytes& out, const ClientIdent& c);  // as TLVs

// 0x0017/0x0006 body.
Status append_challenge_request(Bytes& out, std::string_view screen_name);
// 0x0017/0x0007 body: u16 length, then the auth key.
Result<std::string> parse_challenge_response(ByteView body);

// 0x0017/0x0002 body. With strong_hash, TLV 0x004C is sent and the hash must be
// bucp_strong_hash(); otherwise bucp_weak_hash().
struct LoginRequest {
  std::string screen_name;
  Md5Digest password_hash{};
  bool strong_hash = true;
  ClientIdent ident;
};
Status append_login_request(Bytes& out, const LoginRequest& r);

// What the authorizer or a BOS server says: 0x0017/0x0003 body, or a FLAP channel-4
// payload (both a TLV chain). Success is a BOS address and a cookie; failure an error code.
struct AuthReply {
  std::optional<std::string> screen_name;
  std::optional<std::string> bos_address;
  std::optional<Bytes> cookie;
  std::optional<std::uint16_t> error_code;       // login_error::*
  std::optional<std::uint16_t> disconnect_code;  // disconnect::*
  std::optional<std::string> error_url;

  bool success() const { return bos_address.has_value() && cookie.has_value() && !error_code; }
  // Why it failed, or why the server closes the connection, as an Error.
  Error failure() const;
};
Result<AuthReply> parse_auth_reply(ByteView tlv_chain);

// FLAP channel-1 payloads: u32 version (1), then TLVs.
// To the BOS server after login: TLV 0x0006 with the cookie. To an authorizer that
// speaks BUCP: nothing after the version.
Status append_hello(Bytes& out, ByteView cookie = {});
// ICQ channel-1 login: UIN, roasted password, client ident.
Status append_icq_login(Bytes& out, std::string_view uin, std::string_view password,
                        const ClientIdent& ident);

struct Hello {
  std::uint32_t version = 0;
  TlvList tlvs;  // views into the payload
};
Result<Hello> parse_hello(ByteView payload);

}  // namespace passerelle::oscar
