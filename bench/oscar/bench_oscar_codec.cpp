// OSCAR codec throughput, frames per second:
//   decode: FlapDecoder over a buffer of back-to-back frames, then parse_snac,
//           parse_incoming_im (sender user info, fragments) and message_text (to UTF-8);
//   encode: make_text_im (charset choice) then FLAP+SNAC+ICBM bytes appended in place.
// References in the same run: memcpy of the same bytes, and the SMPP codec decoding and
// encoding a submit_sm carrying the same text.
#include <benchmark/benchmark.h>

#include <cstring>

#include "oscar/codec/families.hpp"
#include "oscar/codec/flap.hpp"
#include "oscar/codec/icbm.hpp"
#include "oscar/codec/snac.hpp"
#include "smpp/codec/decoder.hpp"
#include "smpp/codec/pdu.hpp"

namespace {

using namespace passerelle;
using namespace passerelle::oscar;

// The same sentence in each charset the encoder picks: ASCII, ISO-8859-1, UCS-2BE (with an
// emoji, a surrogate pair). Argument 0, 1, 2 of the OSCAR benchmarks.
constexpr const char* kTexts[] = {
    "Hello! Are you still coming to the meeting at 3pm today?",
    "All\xc3\xb4! Tu viens toujours \xc3\xa0 la r\xc3\xa9union de 15h, d\xc3\xa9j\xc3\xa0?",
    "Hello! Are you still coming to the meeting at 3pm today? \xf0\x9f\x98\x80",
};
constexpr const char* kText = kTexts[0];
constexpr int kFrames = 256;

// One incoming channel-1 message as a BOS server sends it: sender "buddyname42" with the
// user class, sign-on time and capabilities TLVs a real server includes.
Bytes incoming_frame(std::uint16_t seq, const char* text) {
  IncomingIm m;
  m.cookie = {1, 2, 3, 4, 5, 6, 7, 8};
  m.sender.screen_name = "buddyname42";
  m.sender.user_class = user_class::aim;
  m.sender.signon_time = 1700000000;
  m.sender.capabilities = {cap::utf8, cap::typing};
  m.fragments.push_back(Fragment{fragment_id::capabilities, 1, {0x01, 0x06}});
  m.fragments.push_back(make_text_fragment(*encode_text(text)));
  Bytes body;
  (void)append_incoming_im(body, m);
  Bytes frame;
  (void)append_snac_frame(frame, seq, SnacHeader{family::icbm, icbm::channel_msg_to_client, 0, 0},
                          body);
  return frame;
}

Bytes stream(const char* text = kText) {
  Bytes all;
  for (int i = 0; i < kFrames; ++i) {
    auto f = incoming_frame(static_cast<std::uint16_t>(i), text);
    all.insert(all.end(), f.begin(), f.end());
  }
  return all;
}

void BM_OscarDecode(benchmark::State& state) {
  const Bytes all = stream(kTexts[state.range(0)]);
  std::size_t chars = 0;
  for (auto _ : state) {
    FlapDecoder dec;
    ByteView in(all);
    while (!in.empty()) {
      auto step = dec.decode(in);
      in = in.subspan(step.consumed);
      auto* f = std::get_if<FlapFrame>(&step.outcome);
      if (f == nullptr) state.SkipWithError("frame expected");
      auto snac = parse_snac(f->payload);
      auto im = parse_incoming_im(snac->body);
      auto text = message_text(im->fragments);
      chars += text->size();
      benchmark::DoNotOptimize(text->data());
    }
  }
  benchmark::DoNotOptimize(chars);
  state.SetItemsProcessed(state.iterations() * kFrames);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(all.size()));
  state.counters["frame_bytes"] = static_cast<double>(all.size()) / kFrames;
}

void BM_OscarEncode(benchmark::State& state) {
  Bytes out;
  out.reserve(128 * kFrames);
  const IcbmCookie cookie{1, 2, 3, 4, 5, 6, 7, 8};
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < kFrames; ++i) {
      auto im = make_text_im(cookie, "buddyname42", kTexts[state.range(0)]);
      const auto at = begin_snac_frame(out, static_cast<std::uint16_t>(i),
                                       SnacHeader{family::icbm, icbm::channel_msg_to_host, 0, 0});
      (void)append_outgoing_im(out, *im);
      (void)end_snac_frame(out, at);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kFrames);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
  state.counters["frame_bytes"] = static_cast<double>(out.size()) / kFrames;
}

// Reference: copying the decode benchmark's bytes frame by frame into a fresh buffer each.
void BM_MemcpyFrames(benchmark::State& state) {
  const Bytes all = stream();
  const std::size_t per = all.size() / kFrames;
  for (auto _ : state) {
    for (int i = 0; i < kFrames; ++i) {
      Bytes copy(per);
      std::memcpy(copy.data(), all.data() + i * per, per);
      benchmark::DoNotOptimize(copy.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * kFrames);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(all.size()));
}

smpp::Pdu submit_sm() {
  smpp::ShortMessageBody b;
  b.source_addr_ton = 1;
  b.source_addr_npi = 1;
  b.source_addr = "33612345678";
  b.dest_addr_ton = 1;
  b.dest_addr_npi = 1;
  b.destination_addr = "33698765432";
  b.registered_delivery = 1;
  b.short_message = kText;
  return smpp::make_pdu(smpp::CommandId::submit_sm, 1, b);
}

// Reference: the SMPP codec on a submit_sm carrying the same text, through its stream
// decoder, as the SMPP session reads it.
void BM_SmppDecodeSubmitSm(benchmark::State& state) {
  std::vector<std::uint8_t> all;
  for (int i = 0; i < kFrames; ++i) (void)smpp::encode(submit_sm(), all);
  for (auto _ : state) {
    smpp::PduDecoder dec;
    std::span<const std::uint8_t> in(all);
    while (!in.empty()) {
      auto step = dec.decode(in);
      in = in.subspan(step.consumed);
      benchmark::DoNotOptimize(&step.outcome);
    }
  }
  state.SetItemsProcessed(state.iterations() * kFrames);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(all.size()));
  state.counters["frame_bytes"] = static_cast<double>(all.size()) / kFrames;
}

void BM_SmppEncodeSubmitSm(benchmark::State& state) {
  std::vector<std::uint8_t> out;
  out.reserve(128 * kFrames);
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < kFrames; ++i) (void)smpp::encode(submit_sm(), out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kFrames);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

BENCHMARK(BM_OscarDecode)->DenseRange(0, 2);
BENCHMARK(BM_OscarEncode)->DenseRange(0, 2);
BENCHMARK(BM_MemcpyFrames);
BENCHMARK(BM_SmppDecodeSubmitSm);
BENCHMARK(BM_SmppEncodeSubmitSm);

}  // namespace

BENCHMARK_MAIN();
