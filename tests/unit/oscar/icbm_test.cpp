#include "oscar/codec/icbm.hpp"

#include <gtest/gtest.h>

#include "hex.hpp"
#include "oscar/codec/fault.hpp"

namespace passerelle::oscar {
namespace {

using test::hex;
using test::to_hex;

const IcbmCookie kCookie{1, 2, 3, 4, 5, 6, 7, 8};

// An incoming channel-1 message from "bob" (class AIM), text "hi", sent while we were
// offline (TLV 0x0016) and answered by his away auto-reply (TLV 0x0004).
const char* kIncoming =
    "0102030405060708 0001"
    "03 626f62 0000 0001 0001 0002 0010"
    "0002 000f 0501 0001 01 0101 0006 0000 0000 6869"
    "0004 0000"
    "0016 0004 5f5e1000";

TEST(OscarIcbm, IncomingChannel1) {
  auto m = parse_incoming_im(hex(kIncoming));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->cookie, kCookie);
  EXPECT_EQ(m->channel, icbm_channel::im);
  EXPECT_EQ(m->sender.screen_name, "bob");
  EXPECT_EQ(m->sender.user_class, user_class::aim);
  ASSERT_EQ(m->fragments.size(), 2u);
  EXPECT_EQ(m->fragments[0].id, fragment_id::capabilities);
  EXPECT_EQ(*message_text(m->fragments), "hi");
  EXPECT_TRUE(m->auto_response);
  EXPECT_EQ(m->offline_time, 0x5f5e1000u);
  EXPECT_TRUE(m->other.empty());
  Bytes again;
  ASSERT_TRUE(append_incoming_im(again, *m).ok());
  EXPECT_EQ(to_hex(again), to_hex(hex(kIncoming)));
}

TEST(OscarIcbm, TextInEveryCharsetAndSeveralFragments) {
  IncomingIm m;
  m.cookie = kCookie;
  m.sender.screen_name = "123456";
  m.fragments.push_back({fragment_id::capabilities, 1, {0x01, 0x06}});
  m.fragments.push_back(make_text_fragment(*encode_text("caf\xc3\xa9 ")));
  m.fragments.push_back(make_text_fragment(*encode_text("\xf0\x9f\x98\x80")));
  Bytes wire;
  ASSERT_TRUE(append_incoming_im(wire, m).ok());
  auto back = parse_incoming_im(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, m);
  EXPECT_EQ(*message_text(back->fragments), "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(fragment_text(back->fragments[1])->charset, charset::latin1);
  EXPECT_EQ(fragment_text(back->fragments[2])->charset, charset::ucs2be);
}

TEST(OscarIcbm, BadTextIsTyped) {
  // Charset 0x0009 unknown; UCS-2 text of odd length; text fragment without its header.
  auto unknown = parse_fragments(hex("0101 0005 0009 0000 41"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(fault_of(message_text(*unknown).error()), Fault::bad_charset);
  auto odd = parse_fragments(hex("0101 0007 0002 0000 006100"));
  EXPECT_EQ(fault_of(message_text(*odd).error()), Fault::bad_text);
  auto shorty = parse_fragments(hex("0101 0002 0002"));
  EXPECT_EQ(fault_of(message_text(*shorty).error()), Fault::truncated);
  EXPECT_FALSE(fragment_text(Fragment{fragment_id::capabilities, 1, {1}}).ok());
  // Messages without text have empty text.
  EXPECT_EQ(*message_text(std::vector<Fragment>{}), "");
}

TEST(OscarIcbm, FragmentLies) {
  EXPECT_EQ(fault_of(parse_fragments(hex("0101 0010 0000")).error()), Fault::tlv_overrun);
  EXPECT_EQ(fault_of(parse_fragments(hex("0101 00")).error()), Fault::truncated);
  Bytes many;
  for (int i = 0; i < 33; ++i) many.insert(many.end(), {0x05, 0x01, 0x00, 0x00});
  EXPECT_EQ(fault_of(parse_fragments(many).error()), Fault::too_many_items);
  // Inside a message: TLV 0x0002 whose fragment runs past it.
  auto body = hex("0102030405060708 0001 01 61 0002 0005 0101 0009 00");
  auto r = parse_outgoing_im(body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fault_of(r.error()), Fault::tlv_overrun);
}

TEST(OscarIcbm, OutgoingBuilder) {
  auto m = make_text_im(kCookie, "bob", "h\xc3\xa9", true, true);
  ASSERT_TRUE(m.ok());
  Bytes wire;
  ASSERT_TRUE(append_outgoing_im(wire, *m).ok());
  EXPECT_EQ(to_hex(wire),
            "0102030405060708"
            "0001"
            "03626f62"
            "0002000f"
            "0501000101"
            "0101000600030000"
            "68e9"
            "00030000"
            "00060000");
  auto back = parse_outgoing_im(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *m);
  EXPECT_TRUE(back->store_offline);
  EXPECT_FALSE(make_text_im(kCookie, "bob", "\xff").ok());
  m->screen_name = std::string(300, 'x');
  Bytes none;
  EXPECT_FALSE(append_outgoing_im(none, *m).ok());
  EXPECT_TRUE(none.empty());
}

TEST(OscarIcbm, OtherChannelsOpaque) {
  // Channel 2 (rendezvous): TLV 0x0005 kept; a TLV 0x0002 there is not fragments.
  auto body = hex("0102030405060708 0002 01 61 0005 0002 0000 0002 0001 ff");
  auto r = parse_outgoing_im(body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->channel, icbm_channel::rendezvous);
  EXPECT_TRUE(r->fragments.empty());
  ASSERT_EQ(r->other.size(), 2u);
  Bytes again;
  ASSERT_TRUE(append_outgoing_im(again, *r).ok());
  EXPECT_EQ(again, body);
}

TEST(OscarIcbm, TruncatedHeads) {
  auto full = hex(kIncoming);
  // Every cut before the end of the sender info fails with a typed error.
  for (std::size_t n = 0; n < 8 + 2 + 4 + 2 + 2 + 6; ++n) {
    auto r = parse_incoming_im(ByteView(full).first(n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_TRUE(fault_of(r.error()).has_value());
  }
}

TEST(OscarIcbm, HostAckAndTyping) {
  HostAck a{kCookie, 1, "bob"};
  Bytes w;
  ASSERT_TRUE(append_host_ack(w, a).ok());
  EXPECT_EQ(to_hex(w), "0102030405060708000103626f62");
  EXPECT_EQ(*parse_host_ack(w), a);
  w.push_back(0);
  EXPECT_EQ(fault_of(parse_host_ack(w).error()), Fault::trailing_bytes);

  TypingEvent t{kCookie, 1, "bob", typing::typed};
  Bytes tw;
  ASSERT_TRUE(append_typing_event(tw, t).ok());
  EXPECT_EQ(*parse_typing_event(tw), t);
  tw.pop_back();
  EXPECT_EQ(fault_of(parse_typing_event(tw).error()), Fault::truncated);
}

}  // namespace
}  // namespace passerelle::oscar
