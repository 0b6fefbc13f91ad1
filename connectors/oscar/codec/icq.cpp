#include "oscar/codec/icq.hpp"

#include "oscar/codec/charset.hpp"
#include "oscar/codec/fault.hpp"
#include "oscar/codec/tlv.hpp"

namespace passerelle::oscar {

namespace {

// u16 LE length (including the NUL), text, NUL. A missing NUL is tolerated.
Result<Bytes> read_icq_string(ByteReader& r, const char* what) {
  std::uint16_t len = 0;
  ByteView v;
  if (!r.u16_le(len) || !r.bytes(len, v)) {
    return make_fault(Fault::truncated, std::string(what) + ": text runs past its structure");
  }
  if (!v.empty() && v.back() == 0) v = v.first(v.size() - 1);
  return Bytes(v.begin(), v.end());
}

Status put_icq_string(Bytes& out, const Bytes& text) {
  if (text.size() + 1 > 0xFFFF) return make_fault(Fault::value_too_long, "ICQ text too long");
  put_u16_le(out, static_cast<std::uint16_t>(text.size() + 1));
  put_bytes(out, text);
  put_u8(out, 0);
  return {};
}

}  // namespace

Result<IcqMeta> parse_icq_meta(ByteView snac_body) {
  auto tlvs = parse_tlv_chain(snac_body);
  if (!tlvs) return tlvs.error();
  const auto* t = tlvs->find(0x0001);
  if (t == nullptr) return make_fault(Fault::truncated, "ICQ request without TLV 0x0001");
  ByteReader r(t->value);
  IcqMeta m;
  std::uint16_t size = 0;
  if (!r.u16_le(size) || !r.u32_le(m.uin) || !r.u16_le(m.type) || !r.u16_le(m.sequence)) {
    return make_fault(Fault::truncated, "ICQ request header cut short");
  }
  if (size != t->value.size() - 2) {
    return make_fault(Fault::block_length_mismatch,
                      "ICQ request size " + std::to_string(size) + " does not match its TLV (" +
                          std::to_string(t->value.size() - 2) + " bytes)");
  }
  const auto rest = r.rest();
  m.data.assign(rest.begin(), rest.end());
  return m;
}

Status append_icq_meta(Bytes& out, const IcqMeta& m) {
  if (m.data.size() + 8 + 2 > 0xFFFF) {
    return make_fault(Fault::value_too_long, "ICQ request data too long");
  }
  const std::size_t at = begin_tlv(out, 0x0001);
  put_u16_le(out, static_cast<std::uint16_t>(8 + m.data.size()));
  put_u32_le(out, m.uin);
  put_u16_le(out, m.type);
  put_u16_le(out, m.sequence);
  put_bytes(out, m.data);
  return end_tlv(out, at);
}

Result<IcqOfflineMessage> parse_icq_offline_message(ByteView data) {
  ByteReader r(data);
  IcqOfflineMessage m;
  if (!r.u32_le(m.sender) || !r.u16_le(m.year) || !r.u8(m.month) || !r.u8(m.day) || !r.u8(m.hour) ||
      !r.u8(m.minute) || !r.u8(m.type) || !r.u8(m.flags)) {
    return make_fault(Fault::truncated, "ICQ offline message header cut short");
  }
  auto text = read_icq_string(r, "ICQ offline message");
  if (!text) return text.error();
  m.text = std::move(*text);
  return m;
}

Status append_icq_offline_message(Bytes& out, const IcqOfflineMessage& m) {
  const std::size_t start = out.size();
  put_u32_le(out, m.sender);
  put_u16_le(out, m.year);
  put_u8(out, m.month);
  put_u8(out, m.day);
  put_u8(out, m.hour);
  put_u8(out, m.minute);
  put_u8(out, m.type);
  put_u8(out, m.flags);
  auto s = put_icq_string(out, m.text);
  if (!s) out.resize(start);
  return s;
}

Result<IcqChannel4Message> parse_icq_channel4(ByteView tlv_value) {
  ByteReader r(tlv_value);
  IcqChannel4Message m;
  if (!r.u32_le(m.sender) || !r.u8(m.type) || !r.u8(m.flags)) {
    return make_fault(Fault::truncated, "ICQ channel-4 message header cut short");
  }
  auto text = read_icq_string(r, "ICQ channel-4 message");
  if (!text) return text.error();
  m.text = std::move(*text);
  return m;
}

Status append_icq_channel4(Bytes& out, const IcqChannel4Message& m) {
  const std::size_t start = out.size();
  put_u32_le(out, m.sender);
  put_u8(out, m.type);
  put_u8(out, m.flags);
  auto s = put_icq_string(out, m.text);
  if (!s) out.resize(start);
  return s;
}

std::string icq_text_utf8(ByteView text) {
  std::string s(text.begin(), text.end());
  if (valid_utf8(s)) return s;
  return *decode_text(charset::latin1, text);  // single-byte decoding cannot fail
}

}  // namespace passerelle::oscar
