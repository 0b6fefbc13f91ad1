#include "oscar/codec/locate.hpp"

#include <algorithm>
#include <cctype>

#include "oscar/codec/charset.hpp"
#include "oscar/codec/fault.hpp"
#include "oscar/codec/tlv.hpp"

namespace passerelle::oscar {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The charset parameter of a MIME type, lower case, without quotes; "" when absent.
std::string charset_param(std::string_view mime) {
  const std::string m = lower(mime);
  const auto at = m.find("charset=");
  if (at == std::string::npos) return {};
  std::string v = m.substr(at + 8);
  v = v.substr(0, v.find(';'));
  v.erase(std::remove_if(v.begin(), v.end(), [](char c) { return c == '"' || c == ' '; }), v.end());
  return v;
}

const char* mime_for(std::uint16_t cs) {
  switch (cs) {
    case charset::ucs2be:
      return "text/aolrtf; charset=\"unicode-2-0\"";
    case charset::latin1:
      return "text/aolrtf; charset=\"iso-8859-1\"";
    default:
      return "text/aolrtf; charset=\"us-ascii\"";
  }
}

Status put_caps(Bytes& out, const std::vector<Capability>& caps) {
  if (caps.size() > kMaxCapabilities) {
    return make_fault(Fault::too_many_items, "more than 64 capabilities");
  }
  put_u16(out, locate_tlv::capabilities);
  put_u16(out, static_cast<std::uint16_t>(16 * caps.size()));
  for (const auto& c : caps) put_bytes(out, c);
  return {};
}

Status put_text(Bytes& out, std::uint16_t mime_type, std::uint16_t text_type, const LocateText& t) {
  Status s = append_tlv(out, mime_type, t.mime);
  if (s) s = append_tlv(out, text_type, ByteView(t.bytes));
  return s;
}

}  // namespace

Result<LocateText> make_locate_text(std::string_view utf8) {
  auto enc = encode_text(utf8);
  if (!enc) return enc.error();
  return LocateText{mime_for(enc->charset), std::move(enc->bytes)};
}

Result<std::string> locate_text_utf8(const LocateText& t) {
  const std::string cs = charset_param(t.mime);
  if (cs.empty() || cs == "us-ascii" || cs == "ascii") return decode_text(charset::ascii, t.bytes);
  if (cs == "iso-8859-1" || cs == "windows-1252" || cs == "latin1") {
    return decode_text(charset::latin1, t.bytes);
  }
  if (cs == "unicode-2-0" || cs == "utf-16be" || cs == "ucs-2") {
    return decode_text(charset::ucs2be, t.bytes);
  }
  if (cs == "utf-8" || cs == "utf8") {
    std::string s(t.bytes.begin(), t.bytes.end());
    if (valid_utf8(s)) return s;
    return decode_text(charset::latin1, t.bytes);
  }
  return make_fault(Fault::bad_charset, "LOCATE text in unknown charset '" + cs + "'");
}

Result<LocateReply> parse_locate_reply(ByteView body) {
  ByteReader r(body);
  LocateReply reply;
  auto user = read_user_info(r);
  if (!user) return user.error();
  reply.user = std::move(*user);
  auto tlvs = read_tlv_chain(r);
  if (!tlvs) return tlvs.error();
  // A text goes with its MIME type; a text without one, or a second copy, stays in `other`.
  auto take_text = [&](std::uint16_t mime_type, std::uint16_t text_type,
                       std::optional<LocateText>& field) {
    const auto* mime = tlvs->find(mime_type);
    const auto* text = tlvs->find(text_type);
    if (mime == nullptr || text == nullptr) return;
    field = LocateText{to_string(mime->value), Bytes(text->value.begin(), text->value.end())};
  };
  take_text(locate_tlv::profile_mime, locate_tlv::profile, reply.profile);
  take_text(locate_tlv::away_mime, locate_tlv::away, reply.away);
  bool have_profile_mime = false, have_profile = false, have_away_mime = false, have_away = false,
       have_caps = false;
  for (const auto& t : *tlvs) {
    bool taken = false;
    if (reply.profile && t.type == locate_tlv::profile_mime && !have_profile_mime) {
      taken = have_profile_mime = true;
    } else if (reply.profile && t.type == locate_tlv::profile && !have_profile) {
      taken = have_profile = true;
    } else if (reply.away && t.type == locate_tlv::away_mime && !have_away_mime) {
      taken = have_away_mime = true;
    } else if (reply.away && t.type == locate_tlv::away && !have_away) {
      taken = have_away = true;
    } else if (t.type == locate_tlv::capabilities && !have_caps && !t.value.empty() &&
               t.value.size() % 16 == 0 && t.value.size() / 16 <= kMaxCapabilities) {
      taken = have_caps = true;
      reply.capabilities.resize(t.value.size() / 16);
      for (std::size_t i = 0; i < reply.capabilities.size(); ++i) {
        std::copy_n(t.value.begin() + static_cast<std::ptrdiff_t>(16 * i), 16,
                    reply.capabilities[i].begin());
      }
    }
    if (!taken) reply.other.push_back(Tlv::of(t));
  }
  return reply;
}

Status append_locate_reply(Bytes& out, const LocateReply& r) {
  const std::size_t start = out.size();
  Status s = append_user_info(out, r.user);
  if (s && r.profile) s = put_text(out, locate_tlv::profile_mime, locate_tlv::profile, *r.profile);
  if (s && r.away) s = put_text(out, locate_tlv::away_mime, locate_tlv::away, *r.away);
  if (s && !r.capabilities.empty()) s = put_caps(out, r.capabilities);
  for (const auto& t : r.other) {
    if (s) s = append_tlv(out, t);
  }
  if (!s) out.resize(start);
  return s;
}

Status append_locate_set_info(Bytes& out, const LocateSetInfo& info) {
  const std::size_t start = out.size();
  Status s;
  auto text = [&](const std::optional<std::string>& utf8, std::uint16_t mime_type,
                  std::uint16_t text_type) {
    if (!s || !utf8) return;
    if (utf8->empty()) {  // clear it
      append_tlv_empty(out, text_type);
      return;
    }
    auto t = make_locate_text(*utf8);
    s = t ? put_text(out, mime_type, text_type, *t) : Status(t.error());
  };
  text(info.profile_utf8, locate_tlv::profile_mime, locate_tlv::profile);
  text(info.away_utf8, locate_tlv::away_mime, locate_tlv::away);
  if (s && info.capabilities) s = put_caps(out, *info.capabilities);
  if (!s) out.resize(start);
  return s;
}

Status append_locate_query(Bytes& out, std::uint16_t type, std::string_view screen_name) {
  const std::size_t start = out.size();
  put_u16(out, type);
  auto s = append_screen_name(out, screen_name);
  if (!s) out.resize(start);
  return s;
}

}  // namespace passerelle::oscar
