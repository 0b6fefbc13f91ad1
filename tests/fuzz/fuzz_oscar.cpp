// OSCAR codec on arbitrary bytes: the FLAP stream decoder fed in chunks whose size comes
// from the input, then every parser that could see the frame's payload. Whatever decodes
// must re-encode, and the re-encoding must decode to the same value.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "oscar/codec/buddy.hpp"
#include "oscar/codec/charset.hpp"
#include "oscar/codec/feedbag.hpp"
#include "oscar/codec/flap.hpp"
#include "oscar/codec/html.hpp"
#include "oscar/codec/icbm.hpp"
#include "oscar/codec/icq.hpp"
#include "oscar/codec/locate.hpp"
#include "oscar/codec/login.hpp"
#include "oscar/codec/oservice.hpp"
#include "oscar/codec/snac.hpp"
#include "oscar/codec/tlv.hpp"
#include "oscar/codec/userinfo.hpp"

using namespace passerelle::oscar;

namespace {

constexpr std::size_t kMax = 4096;

void check(bool ok) {
  if (!ok) std::abort();
}

template <typename T, typename Parse, typename Append>
void round_trip(ByteView body, Parse parse, Append append) {
  auto v = parse(body);
  if (!v.ok()) return;
  Bytes out;
  check(append(out, *v).ok());
  auto again = parse(ByteView(out));
  check(again.ok());
  check(*again == *v);
}

void text(const std::vector<Fragment>& fragments) {
  auto t = message_text(fragments);
  if (!t.ok()) return;
  check(valid_utf8(*t));
  // HTML conversion keeps UTF-8 valid, and plain text survives a trip through HTML.
  const std::string plain = html_to_text(*t);
  check(valid_utf8(plain));
  (void)looks_like_html(*t);
  if (t->size() < 1000 && t->find('\r') == std::string::npos) {
    const std::string back = html_to_text(text_to_html(*t));
    std::string want = *t;
    while (!want.empty() && want.back() == '\n') want.pop_back();
    check(back == want);
  }
  // What we decoded, we can send again, and it reads back the same.
  auto enc = encode_text(*t);
  check(enc.ok());
  auto dec = decode_text(enc->charset, enc->bytes);
  check(dec.ok() && *dec == *t);
}

void payload(const FlapFrame& f) {
  const ByteView p(f.payload);
  if (f.channel == channel::login) {
    (void)parse_hello(p);
    return;
  }
  if (f.channel == channel::close) {
    (void)parse_auth_reply(p);
    return;
  }
  if (f.channel != channel::snac) return;
  auto s = parse_snac(p);
  if (!s.ok()) return;
  (void)parse_tlv_chain(s->prefix);
  const ByteView body = s->body;
  // Every body parser, whatever the family says: the header is attacker-chosen anyway.
  round_trip<OutgoingIm>(body, parse_outgoing_im, append_outgoing_im);
  round_trip<IncomingIm>(body, parse_incoming_im, append_incoming_im);
  round_trip<TypingEvent>(body, parse_typing_event, append_typing_event);
  round_trip<HostAck>(body, parse_host_ack, append_host_ack);
  round_trip<UserInfo>(body, parse_user_info, append_user_info);
  round_trip<FeedbagReply>(
      body, [](ByteView b) { return parse_feedbag_reply(b); }, append_feedbag_reply);
  round_trip<LocateReply>(body, parse_locate_reply, append_locate_reply);
  round_trip<IcqMeta>(body, parse_icq_meta, append_icq_meta);
  round_trip<IcqOfflineMessage>(body, parse_icq_offline_message, append_icq_offline_message);
  round_trip<IcqChannel4Message>(body, parse_icq_channel4, append_icq_channel4);
  round_trip<std::vector<std::string>>(
      body, [](ByteView b) { return parse_screen_name_list(b); }, append_screen_name_list);
  round_trip<std::vector<FeedbagItem>>(
      body, [](ByteView b) { return parse_feedbag_items(b); }, append_feedbag_items);
  if (auto l = parse_locate_reply(body); l.ok() && l->away) (void)locate_text_utf8(*l->away);
  check(valid_utf8(icq_text_utf8(body)));
  if (auto m = parse_incoming_im(body); m.ok()) text(m->fragments);
  if (auto m = parse_outgoing_im(body); m.ok()) text(m->fragments);
  if (auto r = parse_rate_params(body); r.ok()) {
    Bytes out;
    append_rate_params(out, *r);
    auto again = parse_rate_params(out);
    check(again.ok() && *again == *r);
  }
  (void)parse_user_info_list(body);
  if (auto params = parse_icbm_params(body); params.ok()) {
    Bytes out;
    append_icbm_params(out, *params);
    auto again = parse_icbm_params(out);
    check(again.ok() && *again == *params);
  }
  (void)parse_snac_error(body);
  (void)parse_challenge_response(body);
  (void)parse_auth_reply(body);
  (void)parse_client_online(body);
  if (auto t = parse_tlv_chain(body); t.ok()) {
    for (const auto& tlv : *t) (void)parse_nested_tlvs(tlv);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  ByteView in(data + 1, size - 1);
  FlapDecoder dec(kMax);
  while (!in.empty()) {
    auto piece = in.first(std::min(chunk, in.size()));
    in = in.subspan(piece.size());
    while (!piece.empty()) {
      auto step = dec.decode(piece);
      check(step.consumed <= piece.size());
      piece = piece.subspan(step.consumed);
      check(dec.buffered() <= kMax + kFlapHeaderSize);
      if (auto* f = std::get_if<FlapFrame>(&step.outcome)) {
        check(f->payload.size() <= kMax);
        Bytes out;
        check(append_flap(out, *f).ok());
        auto again = decode_flap(out, kMax);
        check(again.ok() && *again == *f);
        payload(*f);
      } else if (std::holds_alternative<passerelle::Error>(step.outcome)) {
        check(dec.failed());
        return 0;
      }
    }
  }
  return 0;
}
