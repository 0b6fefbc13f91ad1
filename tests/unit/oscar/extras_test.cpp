// Rate arithmetic, BUDDY name lists, LOCATE texts and ICQ (family 0x0015, channel 4).
#include <gtest/gtest.h>

#include "hex.hpp"
#include "oscar/codec/buddy.hpp"
#include "oscar/codec/fault.hpp"
#include "oscar/codec/icq.hpp"
#include "oscar/codec/locate.hpp"
#include "oscar/codec/oservice.hpp"
#include "oscar/codec/rates.hpp"

namespace passerelle::oscar {
namespace {

using test::hex;
using test::to_hex;

RateClass icbm_class() {
  RateClass c;
  c.id = 1;
  c.window = 80;
  c.clear_level = 2500;
  c.alert_level = 2000;
  c.limit_level = 1500;
  c.disconnect_level = 800;
  c.current_level = 3350;
  c.max_level = 6000;
  return c;
}

TEST(OscarRates, MovingAverage) {
  const auto c = icbm_class();
  // Sending back to back drags the level down by level/window each time.
  EXPECT_EQ(next_rate_level(c, 3350, 0), 3308u);  // (79 * 3350 + 0) / 80
  // A long pause brings it to the maximum, not beyond.
  EXPECT_EQ(next_rate_level(c, 3350, 10'000'000), 6000u);
  // From 2010, a SNAC sent at once would leave 1984 (< alert 2000): wait 1210 ms.
  EXPECT_EQ(rate_wait_ms(c, 2010, 0, 2000), 80u * 2000 - 79u * 2010);
}

TEST(OscarRates, WaitReachesTarget) {
  const auto c = icbm_class();
  for (std::uint32_t level : {1600u, 2000u, 2400u, 5000u}) {
    for (std::uint32_t target : {1500u, 2000u, 2500u}) {
      const auto wait = rate_wait_ms(c, level, 0, target);
      EXPECT_GE(next_rate_level(c, level, wait), target) << level << " " << target;
      if (wait > 0) {
        EXPECT_LT(next_rate_level(c, level, wait - 1), target);
      }
      // Time already elapsed counts.
      EXPECT_EQ(rate_wait_ms(c, level, wait, target), 0u);
    }
  }
  RateClass broken;  // window 0
  EXPECT_EQ(rate_wait_ms(broken, 0, 0, 1000), 0u);
  EXPECT_EQ(next_rate_level(broken, 7, 100), 7u);
}

TEST(OscarBuddy, NameLists) {
  Bytes b;
  ASSERT_TRUE(append_screen_name_list(b, {"bob", "123456"}).ok());
  EXPECT_EQ(to_hex(b), "03626f6206313233343536");
  EXPECT_EQ(*parse_screen_name_list(b), (std::vector<std::string>{"bob", "123456"}));
  EXPECT_EQ(fault_of(parse_screen_name_list(hex("03 6162")).error()), Fault::truncated);
  EXPECT_EQ(fault_of(parse_screen_name_list(b, 1).error()), Fault::too_many_items);
  Bytes none;
  EXPECT_FALSE(append_screen_name_list(none, {"ok", std::string(256, 'x')}).ok());
  EXPECT_TRUE(none.empty());
}

TEST(OscarLocate, AwayMessageInEachCharset) {
  auto a = make_locate_text("Out to lunch");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->mime, "text/aolrtf; charset=\"us-ascii\"");
  auto u = make_locate_text("\xe2\x98\x95 lunch");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->mime, "text/aolrtf; charset=\"unicode-2-0\"");
  EXPECT_EQ(*locate_text_utf8(*u), "\xe2\x98\x95 lunch");
  EXPECT_EQ(*locate_text_utf8({"text/x-aolrtf; charset=\"ISO-8859-1\"", hex("e9")}), "\xc3\xa9");
  EXPECT_EQ(*locate_text_utf8({"text/aolrtf; charset=utf-8", hex("c3a9")}), "\xc3\xa9");
  EXPECT_EQ(*locate_text_utf8({"text/aolrtf; charset=utf-8", hex("e9")}), "\xc3\xa9");
  EXPECT_EQ(*locate_text_utf8({"text/aolrtf", hex("41")}), "A");
  EXPECT_EQ(fault_of(locate_text_utf8({"text/aolrtf; charset=koi8-r", hex("41")}).error()),
            Fault::bad_charset);
}

TEST(OscarLocate, ReplyRoundTrip) {
  LocateReply r;
  r.user.screen_name = "bob";
  r.user.user_class = 0x0030;
  r.away = *make_locate_text("brb");
  r.capabilities = {cap::utf8};
  r.other = {Tlv::of(0x0009, "x")};
  Bytes b;
  ASSERT_TRUE(append_locate_reply(b, r).ok());
  auto back = parse_locate_reply(b);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
  EXPECT_FALSE(back->profile);
  EXPECT_EQ(*locate_text_utf8(*back->away), "brb");
  // An away text without its MIME type is kept, but not as the away message.
  auto lone = parse_locate_reply(hex("03 626f62 0000 0000 0004 0003 627262"));
  ASSERT_TRUE(lone.ok());
  EXPECT_FALSE(lone->away);
  EXPECT_EQ(lone->other.size(), 1u);
}

TEST(OscarLocate, SetInfoAndQuery) {
  Bytes b;
  LocateSetInfo s;
  s.away_utf8 = "";
  s.capabilities = std::vector<Capability>{cap::typing};
  ASSERT_TRUE(append_locate_set_info(b, s).ok());
  EXPECT_EQ(to_hex(b),
            "00040000"
            "00050010563fc8090b6f41bd9f79422609dfa2f3");
  Bytes q;
  ASSERT_TRUE(append_locate_query(q, locate_query::away_message, "bob").ok());
  EXPECT_EQ(to_hex(q), "000303626f62");
  Bytes bad;
  s.away_utf8 = "\xff";
  EXPECT_FALSE(append_locate_set_info(bad, s).ok());
  EXPECT_TRUE(bad.empty());
}

TEST(OscarIcq, OfflineMessages) {
  // Request for offline messages from UIN 123456789 (0x075BCD15), sequence 2.
  Bytes req;
  ASSERT_TRUE(append_icq_meta(req, {123456789, icq_meta::offline_request, 2, {}}).ok());
  EXPECT_EQ(to_hex(req),
            "0001000a"
            "0800"
            "15cd5b07"
            "3c00"
            "0200");
  auto m = parse_icq_meta(req);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, icq_meta::offline_request);

  // One stored message from 987654 (0x000F1206), 2003-05-04 12:34, "hi".
  const auto data = hex("06120f00 d307 05 04 0c 22 01 00 0300 686900");
  auto off = parse_icq_offline_message(data);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->sender, 987654u);
  EXPECT_EQ(off->year, 2003);
  EXPECT_EQ(off->month, 5);
  EXPECT_EQ(off->minute, 34);
  EXPECT_EQ(icq_text_utf8(off->text), "hi");
  Bytes again;
  ASSERT_TRUE(append_icq_offline_message(again, *off).ok());
  EXPECT_EQ(again, data);
  EXPECT_EQ(fault_of(parse_icq_offline_message(hex("06120f00 d307 05")).error()), Fault::truncated);
  EXPECT_EQ(fault_of(parse_icq_offline_message(hex("06120f00d3070504 0c220100 0900 6869")).error()),
            Fault::truncated);
}

TEST(OscarIcq, MetaSizeLies) {
  EXPECT_EQ(fault_of(parse_icq_meta(hex("0001000a 0900 15cd5b07 3c00 0200")).error()),
            Fault::block_length_mismatch);
  EXPECT_EQ(fault_of(parse_icq_meta(hex("0002 0000")).error()), Fault::truncated);
  EXPECT_EQ(fault_of(parse_icq_meta(hex("00010004 0800 15cd")).error()), Fault::truncated);
}

TEST(OscarIcq, Channel4AndText) {
  IcqChannel4Message m{987654, icq_msg_type::plain, 0, {'c', 'a', 'f', 0xE9}};
  Bytes b;
  ASSERT_TRUE(append_icq_channel4(b, m).ok());
  EXPECT_EQ(to_hex(b),
            "06120f00"
            "01"
            "00"
            "0500"
            "636166e900");
  auto back = parse_icq_channel4(b);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, m);
  EXPECT_EQ(icq_text_utf8(back->text), "caf\xc3\xa9");  // not UTF-8: Windows-1252
  EXPECT_EQ(icq_text_utf8(as_bytes("caf\xc3\xa9")), "caf\xc3\xa9");
}

TEST(OscarOservice, SetIcqStatus) {
  Bytes b;
  append_set_icq_status(b, 0x00000013);
  EXPECT_EQ(to_hex(b), "0006000400000013");
}

}  // namespace
}  // namespace passerelle::oscar
