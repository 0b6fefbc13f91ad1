#include "smpp/codec/reassembler.hpp"

#include <gtest/gtest.h>

#include "smpp/codec/segmenter.hpp"

namespace passerelle::smpp {
namespace {

Part part(std::string data, std::uint16_t ref, std::uint8_t total, std::uint8_t seq,
          std::string src = "33611111111", std::uint8_t dc = 0) {
  return Part{src, "33700000001", Concat{ref, total, seq, RefSize::bits8}, dc, std::move(data)};
}

TEST(Reassembler, OutOfOrderWithDuplicate) {
  Reassembler r;
  EXPECT_EQ(r.add(part("ccc", 5, 3, 3), 0).outcome, Reassembler::Outcome::incomplete);
  EXPECT_EQ(r.add(part("aaa", 5, 3, 1), 1).outcome, Reassembler::Outcome::incomplete);
  EXPECT_EQ(r.add(part("zzz", 5, 3, 1), 2).outcome, Reassembler::Outcome::duplicate);
  EXPECT_EQ(r.partials(), 1u);
  EXPECT_EQ(r.bytes(), 6u);
  auto done = r.add(part("bbb", 5, 3, 2), 3);
  ASSERT_EQ(done.outcome, Reassembler::Outcome::complete);
  EXPECT_EQ(done.message->text, "aaabbbccc");
  EXPECT_EQ(done.message->source, "33611111111");
  EXPECT_EQ(done.message->concat->ref, 5);
  EXPECT_EQ(r.partials(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
}

TEST(Reassembler, KeyedBySourceAndRef) {
  Reassembler r;
  r.add(part("a1", 1, 2, 1, "A"), 0);
  r.add(part("b1", 1, 2, 1, "B"), 0);
  r.add(part("a2x", 2, 2, 1, "A"), 0);
  EXPECT_EQ(r.partials(), 3u);
  auto b = r.add(part("b2", 1, 2, 2, "B"), 0);
  EXPECT_EQ(b.message->text, "b1b2");
  EXPECT_EQ(r.partials(), 2u);
}

TEST(Reassembler, SingleAndUcs2SurrogateAcrossParts) {
  Reassembler r;
  auto one = r.add(Part{"1", "2", std::nullopt, 0, "hi"}, 0);
  EXPECT_EQ(one.outcome, Reassembler::Outcome::complete);
  EXPECT_EQ(one.message->text, "hi");
  // A phone that split 😀 (D83D DE00) between two parts.
  r.add(part(std::string("\x00\x41\xD8\x3D", 4), 9, 2, 1, "s", 8), 0);
  auto done = r.add(part(std::string("\xDE\x00", 2), 9, 2, 2, "s", 8), 0);
  EXPECT_EQ(done.message->text, "A😀");
  auto bin = r.add(Part{"1", "2", std::nullopt, 4, "\x01"}, 0);
  EXPECT_EQ(bin.outcome, Reassembler::Outcome::undecodable);
  ASSERT_TRUE(bin.error);
}

TEST(Reassembler, RoundTripWithSegmenter) {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "Grüße {€} ";
  auto segs = segment(text, 77);
  ASSERT_TRUE(segs.ok());
  ASSERT_GT(segs->count(), 1u);
  Reassembler r;
  std::optional<Reassembled> got;
  for (std::size_t i = segs->count(); i-- > 0;) {
    ShortMessageBody sm;
    sm.source_addr = "x";
    sm.esm_class = kEsmUdhi;
    sm.short_message = segs->payloads[i];
    auto p = part_of(sm);
    ASSERT_TRUE(p.ok());
    auto res = r.add(*p, 0);
    if (res.message) got = res.message;
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(got->text, text);
}

TEST(Reassembler, SarTlvsAndMessagePayload) {
  ShortMessageBody sm;
  sm.source_addr = "s";
  sm.tlvs.sar_msg_ref_num = 0x1234;
  sm.tlvs.sar_total_segments = 2;
  sm.tlvs.sar_segment_seqnum = 2;
  sm.short_message = "world";
  auto p = part_of(sm);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->concat, (Concat{0x1234, 2, 2, RefSize::bits16}));
  Reassembler r;
  r.add(*p, 0);
  sm.tlvs.sar_segment_seqnum = 1;
  sm.short_message = "hello ";
  EXPECT_EQ(r.add(part_of(sm).value(), 0).message->text, "hello world");

  ShortMessageBody pl;
  pl.tlvs.message_payload = std::string(500, 'z');
  auto pp = part_of(pl);
  EXPECT_FALSE(pp->concat);
  EXPECT_EQ(pp->data.size(), 500u);

  ShortMessageBody bad;
  bad.esm_class = kEsmUdhi;
  bad.short_message = std::string("\x09\x00", 2);
  EXPECT_FALSE(part_of(bad).ok());
}

TEST(Reassembler, ExpireReportsTimedOutPartials) {
  Reassembler r({.max_partials = 10, .max_bytes = 1000, .timeout_ms = 100});
  r.add(part("a", 1, 2, 1), 0);
  r.add(part("b", 2, 3, 2), 50);
  EXPECT_TRUE(r.expire(99).empty());
  auto gone = r.expire(100);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].ref, 1);
  EXPECT_EQ(gone[0].total, 2);
  EXPECT_EQ(gone[0].received, 1u);
  EXPECT_EQ(gone[0].reason, DropReason::timeout);
  EXPECT_EQ(r.expire(1000).size(), 1u);
  EXPECT_EQ(r.partials(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
}

TEST(Reassembler, LimitsDropOldestWithReport) {
  Reassembler r({.max_partials = 2, .max_bytes = 10, .timeout_ms = 1000});
  r.add(part("a", 1, 2, 1), 0);
  r.add(part("b", 2, 2, 1), 1);
  auto res = r.add(part("c", 3, 2, 1), 2);
  ASSERT_EQ(res.dropped.size(), 1u);
  EXPECT_EQ(res.dropped[0].ref, 1);
  EXPECT_EQ(res.dropped[0].reason, DropReason::too_many_partials);
  EXPECT_EQ(r.partials(), 2u);
  // Byte budget: 2 held, 9 more needs the oldest (ref 2) gone.
  res = r.add(part("123456789", 3, 2, 2), 3);
  EXPECT_EQ(res.outcome, Reassembler::Outcome::complete);
  ASSERT_EQ(res.dropped.size(), 1u);
  EXPECT_EQ(res.dropped[0].ref, 2);
  EXPECT_EQ(res.dropped[0].reason, DropReason::too_many_bytes);
  EXPECT_EQ(r.bytes(), 0u);
  // One part larger than the budget is refused outright.
  res = r.add(part(std::string(11, 'x'), 4, 2, 1), 4);
  EXPECT_EQ(res.outcome, Reassembler::Outcome::rejected);
  // A message that alone outgrows the budget is given up.
  r.add(part("123456", 5, 2, 1), 5);
  res = r.add(part("123456", 5, 2, 2), 5);
  EXPECT_EQ(res.outcome, Reassembler::Outcome::rejected);
  EXPECT_EQ(r.partials(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
}

}  // namespace
}  // namespace passerelle::smpp
