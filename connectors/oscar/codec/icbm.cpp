#include "oscar/codec/icbm.hpp"

#include <algorithm>

#include "oscar/codec/fault.hpp"

namespace passerelle::oscar {

namespace {

bool read_cookie(ByteReader& r, IcbmCookie& c) {
  ByteView v;
  if (!r.bytes(c.size(), v)) return false;
  std::copy(v.begin(), v.end(), c.begin());
  return true;
}

Status read_head(ByteReader& r, IcbmCookie& cookie, std::uint16_t& ch, const char* what) {
  if (!read_cookie(r, cookie) || !r.u16(ch)) {
    return make_fault(Fault::truncated, std::string(what) + ": cookie or channel cut short");
  }
  return {};
}

void put_head(Bytes& out, const IcbmCookie& cookie, std::uint16_t ch) {
  put_bytes(out, cookie);
  put_u16(out, ch);
}

// Takes TLV 0x0002 of a channel-1 message into `fragments`; false when it is not that.
Result<bool> take_message_data(const TlvView& t, std::uint16_t ch, bool& taken,
                               std::vector<Fragment>& fragments) {
  if (t.type != icbm_tlv::message_data || ch != icbm_channel::im || taken) return false;
  auto f = parse_fragments(t.value);
  if (!f) return f.error();
  fragments = std::move(*f);
  taken = true;
  return true;
}

Status append_message_data(Bytes& out, std::uint16_t ch, const std::vector<Fragment>& fr) {
  if (ch != icbm_channel::im) {
    if (!fr.empty())
      return make_fault(Fault::trailing_bytes, "fragments on a channel other than 1");
    return {};
  }
  const std::size_t at = begin_tlv(out, icbm_tlv::message_data);
  if (auto s = append_fragments(out, fr); !s) {
    out.resize(at - 2);
    return s;
  }
  return end_tlv(out, at);
}

Status append_others(Bytes& out, const std::vector<Tlv>& other) {
  for (const auto& t : other) {
    if (auto s = append_tlv(out, t); !s) return s;
  }
  return {};
}

}  // namespace

Result<IcbmParams> parse_icbm_params(ByteView body) {
  ByteReader r(body);
  IcbmParams p;
  if (!r.u16(p.channel) || !r.u32(p.flags) || !r.u16(p.max_snac_size) ||
      !r.u16(p.max_sender_warning) || !r.u16(p.max_receiver_warning) || !r.u16(p.min_interval_ms)) {
    return make_fault(Fault::truncated, "ICBM parameters cut short");
  }
  // The last word is missing from some servers' replies.
  if (!r.u16(p.unknown)) p.unknown = 0;
  if (!r.at_end()) return make_fault(Fault::trailing_bytes, "bytes after the ICBM parameters");
  return p;
}

void append_icbm_params(Bytes& out, const IcbmParams& p) {
  put_u16(out, p.channel);
  put_u32(out, p.flags);
  put_u16(out, p.max_snac_size);
  put_u16(out, p.max_sender_warning);
  put_u16(out, p.max_receiver_warning);
  put_u16(out, p.min_interval_ms);
  put_u16(out, p.unknown);
}

Result<std::vector<Fragment>> parse_fragments(ByteView data, std::size_t max) {
  ByteReader r(data);
  std::vector<Fragment> out;
  out.reserve(std::min<std::size_t>(max, data.size() / 4));
  while (!r.at_end()) {
    if (out.size() >= max) {
      return make_fault(Fault::too_many_items,
                        "more than " + std::to_string(max) + " ICBM message fragments");
    }
    Fragment f;
    std::uint16_t len = 0;
    ByteView d;
    if (!r.u8(f.id) || !r.u8(f.version) || !r.u16(len)) {
      return make_fault(Fault::truncated, "ICBM fragment header cut short");
    }
    if (!r.bytes(len, d)) {
      return make_fault(Fault::tlv_overrun,
                        "ICBM fragment of " + std::to_string(len) + " bytes runs past TLV 0x0002");
    }
    f.data.assign(d.begin(), d.end());
    out.push_back(std::move(f));
  }
  return out;
}

Status append_fragments(Bytes& out, std::span<const Fragment> fragments) {
  const std::size_t start = out.size();
  for (const auto& f : fragments) {
    if (f.data.size() > 0xFFFF) {
      out.resize(start);
      return make_fault(Fault::value_too_long, "ICBM fragment over 65,535 bytes");
    }
    put_u8(out, f.id);
    put_u8(out, f.version);
    put_u16(out, static_cast<std::uint16_t>(f.data.size()));
    put_bytes(out, f.data);
  }
  return {};
}

Fragment make_text_fragment(const EncodedText& t, std::uint16_t subset) {
  Fragment f;
  f.id = fragment_id::text;
  f.version = 1;
  f.data.reserve(4 + t.bytes.size());
  put_u16(f.data, t.charset);
  put_u16(f.data, subset);
  put_bytes(f.data, t.bytes);
  return f;
}

Result<EncodedText> fragment_text(const Fragment& f) {
  ByteReader r(f.data);
  EncodedText t;
  std::uint16_t subset = 0;
  if (f.id != fragment_id::text || !r.u16(t.charset) || !r.u16(subset)) {
    return make_fault(Fault::truncated, "ICBM text fragment without charset and subset");
  }
  const auto rest = r.rest();
  t.bytes.assign(rest.begin(), rest.end());
  return t;
}

Result<std::string> message_text(std::span<const Fragment> fragments) {
  std::string text;
  for (const auto& f : fragments) {
    if (f.id != fragment_id::text) continue;
    ByteReader r(f.data);
    std::uint16_t cs = 0, subset = 0;
    if (!r.u16(cs) || !r.u16(subset)) {
      return make_fault(Fault::truncated, "ICBM text fragment without charset and subset");
    }
    auto part = decode_text(cs, r.rest());
    if (!part) return part.error();
    text += *part;
  }
  return text;
}

Result<OutgoingIm> make_text_im(const IcbmCookie& cookie, std::string screen_name,
                                std::string_view utf8, bool request_host_ack, bool store_offline) {
  auto enc = encode_text(utf8);
  if (!enc) return enc.error();
  if (enc->bytes.size() > 0xFFFF - 4) {
    return make_fault(Fault::value_too_long, "message text too long for one ICBM fragment");
  }
  OutgoingIm m;
  m.cookie = cookie;
  m.channel = icbm_channel::im;
  m.screen_name = std::move(screen_name);
  m.fragments.reserve(2);
  m.fragments.push_back(Fragment{fragment_id::capabilities, 1, Bytes{0x01}});
  m.fragments.push_back(make_text_fragment(*enc));
  m.request_host_ack = request_host_ack;
  m.store_offline = store_offline;
  return m;
}

Result<OutgoingIm> parse_outgoing_im(ByteView body) {
  ByteReader r(body);
  OutgoingIm m;
  if (auto s = read_head(r, m.cookie, m.channel, "outgoing ICBM"); !s) return s.error();
  auto sn = read_screen_name(r);
  if (!sn) return sn.error();
  m.screen_name = std::move(*sn);
  auto tlvs = read_tlv_chain(r);
  if (!tlvs) return tlvs.error();
  bool have_data = false;
  for (const auto& t : *tlvs) {
    auto took = take_message_data(t, m.channel, have_data, m.fragments);
    if (!took) return took.error();
    if (*took) continue;
    if (t.type == icbm_tlv::request_host_ack && t.value.empty() && !m.request_host_ack) {
      m.request_host_ack = true;
    } else if (t.type == icbm_tlv::store_offline && t.value.empty() && !m.store_offline) {
      m.store_offline = true;
    } else {
      m.other.push_back(Tlv::of(t));
    }
  }
  return m;
}

Status append_outgoing_im(Bytes& out, const OutgoingIm& m) {
  const std::size_t start = out.size();
  put_head(out, m.cookie, m.channel);
  Status s = append_screen_name(out, m.screen_name);
  if (s) s = append_message_data(out, m.channel, m.fragments);
  if (s && m.request_host_ack) append_tlv_empty(out, icbm_tlv::request_host_ack);
  if (s && m.store_offline) append_tlv_empty(out, icbm_tlv::store_offline);
  if (s) s = append_others(out, m.other);
  if (!s) out.resize(start);
  return s;
}

Result<IncomingIm> parse_incoming_im(ByteView body) {
  ByteReader r(body);
  IncomingIm m;
  if (auto s = read_head(r, m.cookie, m.channel, "incoming ICBM"); !s) return s.error();
  auto sender = read_user_info(r);
  if (!sender) return sender.error();
  m.sender = std::move(*sender);
  auto tlvs = read_tlv_chain(r);
  if (!tlvs) return tlvs.error();
  bool have_data = false;
  for (const auto& t : *tlvs) {
    auto took = take_message_data(t, m.channel, have_data, m.fragments);
    if (!took) return took.error();
    if (*took) continue;
    if (t.type == icbm_tlv::auto_response && t.value.empty() && !m.auto_response) {
      m.auto_response = true;
    } else if (t.type == icbm_tlv::offline_time && t.value.size() == 4 && !m.offline_time) {
      ByteReader v(t.value);
      std::uint32_t when = 0;
      v.u32(when);
      m.offline_time = when;
    } else {
      m.other.push_back(Tlv::of(t));
    }
  }
  return m;
}

Status append_incoming_im(Bytes& out, const IncomingIm& m) {
  const std::size_t start = out.size();
  put_head(out, m.cookie, m.channel);
  Status s = append_user_info(out, m.sender);
  if (s) s = append_message_data(out, m.channel, m.fragments);
  if (s && m.auto_response) append_tlv_empty(out, icbm_tlv::auto_response);
  if (s && m.offline_time) append_tlv_u32(out, icbm_tlv::offline_time, *m.offline_time);
  if (s) s = append_others(out, m.other);
  if (!s) out.resize(start);
  return s;
}

Result<HostAck> parse_host_ack(ByteView body) {
  ByteReader r(body);
  HostAck a;
  if (auto s = read_head(r, a.cookie, a.channel, "ICBM host ack"); !s) return s.error();
  auto sn = read_screen_name(r);
  if (!sn) return sn.error();
  a.screen_name = std::move(*sn);
  if (!r.at_end()) return make_fault(Fault::trailing_bytes, "bytes after the ICBM host ack");
  return a;
}

Status append_host_ack(Bytes& out, const HostAck& a) {
  const std::size_t start = out.size();
  put_head(out, a.cookie, a.channel);
  auto s = append_screen_name(out, a.screen_name);
  if (!s) out.resize(start);
  return s;
}

Result<TypingEvent> parse_typing_event(ByteView body) {
  ByteReader r(body);
  TypingEvent t;
  if (auto s = read_head(r, t.cookie, t.channel, "typing notification"); !s) return s.error();
  auto sn = read_screen_name(r);
  if (!sn) return sn.error();
  t.screen_name = std::move(*sn);
  if (!r.u16(t.state)) return make_fault(Fault::truncated, "typing notification: state missing");
  if (!r.at_end()) return make_fault(Fault::trailing_bytes, "bytes after the typing state");
  return t;
}

Status append_typing_event(Bytes& out, const TypingEvent& t) {
  const std::size_t start = out.size();
  put_head(out, t.cookie, t.channel);
  auto s = append_screen_name(out, t.screen_name);
  if (!s) {
    out.resize(start);
    return s;
  }
  put_u16(out, t.state);
  return {};
}

}  // namespace passerelle::oscar
