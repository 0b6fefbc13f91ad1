#include "oscar/codec/flap.hpp"

#include <gtest/gtest.h>

#include "hex.hpp"
#include "oscar/codec/fault.hpp"

namespace passerelle::oscar {
namespace {

using test::hex;

std::vector<std::uint8_t> capture() {
  std::vector<std::uint8_t> all;
  for (auto* h : test::kVectorFrames) {
    auto b = hex(h);
    all.insert(all.end(), b.begin(), b.end());
  }
  return all;
}

// Feeds `chunks` in order; returns every outcome except NeedMore, stopping at an error.
std::vector<FlapOutcome> feed(FlapDecoder& d, const std::vector<ByteView>& chunks) {
  std::vector<FlapOutcome> out;
  for (auto in : chunks) {
    while (!in.empty()) {
      auto step = d.decode(in);
      EXPECT_LE(step.consumed, in.size());
      in = in.subspan(step.consumed);
      if (!std::holds_alternative<NeedMore>(step.outcome)) out.push_back(step.outcome);
      if (std::holds_alternative<Error>(step.outcome)) return out;
    }
  }
  return out;
}

Fault fault(const FlapOutcome& o) {
  const auto* e = std::get_if<Error>(&o);
  EXPECT_NE(e, nullptr);
  return e ? fault_of(*e).value_or(Fault::truncated) : Fault::truncated;
}

TEST(OscarFlap, WholeCaptureInOneGo) {
  auto all = capture();
  FlapDecoder d;
  auto out = feed(d, {all});
  ASSERT_EQ(out.size(), std::size(test::kVectorFrames));
  for (std::size_t i = 0; i < out.size(); ++i) {
    ASSERT_TRUE(std::holds_alternative<FlapFrame>(out[i])) << i;
    auto one = decode_flap(hex(test::kVectorFrames[i]));
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(std::get<FlapFrame>(out[i]), *one);
    Bytes again;
    ASSERT_TRUE(append_flap(again, *one).ok());
    EXPECT_EQ(again, hex(test::kVectorFrames[i]));
  }
  EXPECT_EQ(d.buffered(), 0u);
  const auto& keepalive = std::get<FlapFrame>(out[4]);
  EXPECT_EQ(keepalive.channel, channel::keepalive);
  EXPECT_TRUE(keepalive.payload.empty());
}

TEST(OscarFlap, SplitAtEveryOffsetGivesSameFrames) {
  auto all = capture();
  FlapDecoder ref;
  auto expected = feed(ref, {all});
  ASSERT_EQ(expected.size(), std::size(test::kVectorFrames));
  for (std::size_t cut = 0; cut <= all.size(); ++cut) {
    FlapDecoder d;
    ByteView s(all);
    auto got = feed(d, {s.first(cut), s.subspan(cut)});
    ASSERT_EQ(got.size(), expected.size()) << "cut at " << cut;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(std::get<FlapFrame>(got[i]), std::get<FlapFrame>(expected[i])) << cut;
    }
  }
  // Two cuts at every pair of offsets within the first two frames, and byte by byte.
  for (std::size_t a = 0; a < 40; ++a) {
    for (std::size_t b = a; b < 40; ++b) {
      FlapDecoder d;
      ByteView s(all);
      auto got = feed(d, {s.first(a), s.subspan(a, b - a), s.subspan(b)});
      ASSERT_EQ(got.size(), expected.size());
    }
  }
  FlapDecoder d;
  std::vector<ByteView> bytes;
  for (std::size_t i = 0; i < all.size(); ++i) bytes.push_back(ByteView(all).subspan(i, 1));
  auto got = feed(d, bytes);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(std::get<FlapFrame>(got[i]), std::get<FlapFrame>(expected[i]));
  }
}

TEST(OscarFlap, BadStartByteIsFatalAtOnceAndSticky) {
  FlapDecoder d;
  auto bytes = hex("2a0500040000 2b0500050000");
  auto out = feed(d, {bytes});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<FlapFrame>(out[0]));
  EXPECT_EQ(fault(out[1]), Fault::bad_start_byte);
  EXPECT_TRUE(d.failed());
  EXPECT_LE(d.buffered(), kFlapHeaderSize);
  auto again = d.decode(hex("2a0500060000"));
  EXPECT_EQ(again.consumed, 0u);
  EXPECT_EQ(fault(again.outcome), Fault::bad_start_byte);
  d.reset();
  auto ok = d.decode(hex("2a0500060000"));
  EXPECT_TRUE(std::holds_alternative<FlapFrame>(ok.outcome));
}

TEST(OscarFlap, BadChannel) {
  for (const char* h : {"2a0000010000", "2a0600010000", "2aff00010000"}) {
    FlapDecoder d;
    auto out = feed(d, {hex(h)});
    ASSERT_EQ(out.size(), 1u) << h;
    EXPECT_EQ(fault(out[0]), Fault::bad_channel) << h;
    EXPECT_FALSE(decode_flap(hex(h)).ok());
  }
  Bytes out;
  EXPECT_FALSE(append_flap(out, 0, 1, {}).ok());
  EXPECT_FALSE(append_flap(out, 6, 1, {}).ok());
  EXPECT_TRUE(out.empty());
}

TEST(OscarFlap, OversizeRefusedBeforeBuffering) {
  FlapDecoder d;  // 8 KiB default
  auto bytes = hex("2a020001ffff");
  bytes.resize(bytes.size() + 100, 0);
  auto out = feed(d, {bytes});
  ASSERT_EQ(out.size(), 1u);
  const auto& e = std::get<Error>(out[0]);
  EXPECT_EQ(fault_of(e), Fault::frame_too_long);
  EXPECT_EQ(e.code, Errc::limit_exceeded);
  EXPECT_LE(d.buffered(), kFlapHeaderSize);

  // The limit is data: exactly at it passes, one over fails.
  FlapDecoder small(4);
  auto at = feed(small, {hex("2a02000100040102 0304")});
  ASSERT_EQ(at.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<FlapFrame>(at[0]));
  auto over = feed(small, {hex("2a0200020005 0102030405")});
  EXPECT_EQ(fault(over[0]), Fault::frame_too_long);
  EXPECT_EQ(fault_of(decode_flap(hex("2a0200020005 0102030405"), 4).error()),
            Fault::frame_too_long);
}

TEST(OscarFlap, TruncatedFramesWaitOrFail) {
  // A stream decoder waits for the rest...
  FlapDecoder d;
  auto step = d.decode(hex("2a020001000a 0102"));
  EXPECT_TRUE(std::holds_alternative<NeedMore>(step.outcome));
  EXPECT_EQ(d.buffered(), 8u);
  // ...a whole-frame decode says what is wrong.
  for (const char* h : {"", "2a", "2a0200010004", "2a020001000401"}) {
    auto r = decode_flap(hex(h));
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(fault_of(r.error()), Fault::truncated) << h;
  }
  EXPECT_EQ(fault_of(decode_flap(hex("2a0500010000ff")).error()), Fault::trailing_bytes);
}

TEST(OscarFlap, EncoderLimitsAndInPlaceBuilder) {
  Bytes out;
  Bytes big(0x10000, 0);
  auto s = append_flap(out, channel::snac, 1, big);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(fault_of(s.error()), Fault::value_too_long);
  EXPECT_TRUE(out.empty());

  const auto at = begin_flap(out, channel::snac, 7);
  out.insert(out.end(), {1, 2, 3});
  ASSERT_TRUE(end_flap(out, at).ok());
  EXPECT_EQ(out, hex("2a0200070003010203"));

  const auto at2 = begin_flap(out, channel::snac, 8);
  out.insert(out.end(), big.begin(), big.end());
  EXPECT_FALSE(end_flap(out, at2).ok());
  EXPECT_EQ(out, hex("2a0200070003010203"));  // the failed frame is gone
}

TEST(OscarFlap, SequenceWraps) {
  EXPECT_EQ(next_sequence(0), 1);
  EXPECT_EQ(next_sequence(0xFFFE), 0xFFFF);
  EXPECT_EQ(next_sequence(0xFFFF), 0);
  FlapSequence seq(0xFFFE);
  EXPECT_EQ(seq.take(), 0xFFFE);
  EXPECT_EQ(seq.take(), 0xFFFF);
  EXPECT_EQ(seq.take(), 0);
  EXPECT_EQ(seq.peek(), 1);
}

TEST(OscarFlap, FrameOfMaximumSizeDecodes) {
  FlapDecoder d(0xFFFF);
  Bytes payload(0xFFFF, 0xAB);
  Bytes wire;
  ASSERT_TRUE(append_flap(wire, channel::snac, 9, payload).ok());
  auto out = feed(d, {wire});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<FlapFrame>(out[0]).payload, payload);
}

}  // namespace
}  // namespace passerelle::oscar
