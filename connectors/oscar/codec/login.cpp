#include "oscar/codec/login.hpp"

#include "oscar/codec/families.hpp"
#include "oscar/codec/fault.hpp"
#include "oscar/codec/flap.hpp"

namespace passerelle::oscar {

Status append_client_ident(Bytes& out, const ClientIdent& c) {
  const std::size_t start = out.size();
  Status s = append_tlv(out, login_tlv::client_name, c.name);
  if (s) {
    append_tlv_u16(out, login_tlv::client_id, c.id);
    append_tlv_u16(out, login_tlv::major, c.major);
    append_tlv_u16(out, login_tlv::minor, c.minor);
    append_tlv_u16(out, login_tlv::lesser, c.lesser);
    append_tlv_u16(out, login_tlv::build, c.build);
    append_tlv_u32(out, login_tlv::distribution, c.distribution);
    s = append_tlv(out, login_tlv::language, c.language);
  }
  if (s) s = append_tlv(out, login_tlv::country, c.country);
  if (!s) out.resize(start);
  return s;
}

Status append_challenge_request(Bytes& out, std::string_view screen_name) {
  return append_tlv(out, login_tlv::screen_name, screen_name);
}

Result<std::string> parse_challenge_response(ByteView body) {
  ByteReader r(body);
  std::uint16_t len = 0;
  ByteView key;
  if (!r.u16(len) || !r.bytes(len, key)) {
    return make_fault(Fault::truncated, "BUCP auth key runs past the SNAC");
  }
  return to_string(key);
}

Status append_login_request(Bytes& out, const LoginRequest& req) {
  const std::size_t start = out.size();
  Status s = append_tlv(out, login_tlv::screen_name, req.screen_name);
  if (s) s = append_client_ident(out, req.ident);
  if (s) {
    s = append_tlv(out, login_tlv::password_hash, ByteView(req.password_hash));
    if (req.strong_hash) append_tlv_empty(out, login_tlv::strong_hash);
    append_tlv_u8(out, login_tlv::multiconn, 1);
  }
  if (!s) out.resize(start);
  return s;
}

Error AuthReply::failure() const {
  if (error_code) return login_failure(*error_code);
  if (disconnect_code) {
    Error e = Error::transient(std::string("OSCAR: ") + disconnect_reason(*disconnect_code),
                               *disconnect_code);
    // Signed on elsewhere: reconnecting at once would kick the other session off in turn.
    if (*disconnect_code == disconnect::other_login) e.retryable = false;
    return e;
  }
  return make_fault(Fault::truncated, "login reply with neither BOS address nor error code");
}

Result<AuthReply> parse_auth_reply(ByteView tlv_chain) {
  auto tlvs = parse_tlv_chain(tlv_chain);
  if (!tlvs) return tlvs.error();
  AuthReply a;
  a.screen_name = tlvs->string(login_tlv::screen_name);
  a.bos_address = tlvs->string(login_tlv::bos_address);
  if (auto c = tlvs->bytes(login_tlv::cookie)) a.cookie = Bytes(c->begin(), c->end());
  a.error_code = tlvs->u16(login_tlv::error_code);
  a.disconnect_code = tlvs->u16(login_tlv::disconnect_code);
  a.error_url = tlvs->string(login_tlv::error_url);
  return a;
}

Status append_hello(Bytes& out, ByteView cookie) {
  const std::size_t start = out.size();
  put_u32(out, kFlapVersion);
  if (!cookie.empty()) {
    if (auto s = append_tlv(out, login_tlv::cookie, cookie); !s) {
      out.resize(start);
      return s;
    }
  }
  return {};
}

Status append_icq_login(Bytes& out, std::string_view uin, std::string_view password,
                        const ClientIdent& ident) {
  const std::size_t start = out.size();
  put_u32(out, kFlapVersion);
  Status s = append_tlv(out, login_tlv::screen_name, uin);
  if (s) s = append_tlv(out, login_tlv::roasted_password, ByteView(roast_password(password)));
  if (s) s = append_client_ident(out, ident);
  if (!s) out.resize(start);
  return s;
}

Result<Hello> parse_hello(ByteView payload) {
  ByteReader r(payload);
  Hello h;
  if (!r.u32(h.version)) return make_fault(Fault::truncated, "FLAP hello without its version");
  auto tlvs = read_tlv_chain(r);
  if (!tlvs) return tlvs.error();
  h.tlvs = std::move(*tlvs);
  return h;
}

}  // namespace passerelle::oscar
