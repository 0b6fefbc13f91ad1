#include "oscar/codec/userinfo.hpp"

#include <gtest/gtest.h>

#include "hex.hpp"
#include "oscar/codec/fault.hpp"

namespace passerelle::oscar {
namespace {

using test::hex;

// A BUDDY arrived block as an AIM server sends it: "bob", warning 0, 5 TLVs.
const char* kBob =
    "03 626f62 0000 0005"
    "0001 0002 0030"                              // class: AIM | away
    "0003 0004 5f5e1000"                          // signed on
    "0004 0002 000a"                              // idle 10 minutes
    "000d 0020 0946134e4c7f11d18222444553540000"  // capabilities: UTF-8,
    "          563fc8090b6f41bd9f79422609dfa2f3"  //   typing
    "001d 0002 0102";                             // BART, kept opaque

TEST(OscarUserInfo, ParseKnownAndOpaque) {
  auto u = parse_user_info(hex(kBob));
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->screen_name, "bob");
  EXPECT_EQ(u->warning_level, 0);
  EXPECT_EQ(u->user_class, 0x0030);
  EXPECT_TRUE(u->away());
  EXPECT_EQ(u->signon_time, 0x5f5e1000u);
  EXPECT_EQ(u->idle_minutes, 10);
  EXPECT_FALSE(u->icq_status);
  ASSERT_EQ(u->capabilities.size(), 2u);
  EXPECT_TRUE(u->has_capability(cap::utf8));
  EXPECT_TRUE(u->has_capability(cap::typing));
  EXPECT_FALSE(u->has_capability(cap::icq_server_relay));
  ASSERT_EQ(u->other.size(), 1u);
  EXPECT_EQ(u->other[0].type, 0x001D);
  // Known TLVs are written in type order, then the others: here the wire order already.
  Bytes again;
  ASSERT_TRUE(append_user_info(again, *u).ok());
  EXPECT_EQ(again, hex(kBob));
}

TEST(OscarUserInfo, IcqStatus) {
  auto u = parse_user_info(hex("09 313233343536373839 0000 0001 0006 0004 00000013"));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->screen_name, "123456789");
  EXPECT_EQ(u->icq_status, 0x13u);
  EXPECT_EQ(icq_state(*u->icq_status), IcqState::dnd);
  EXPECT_EQ(icq_state(0x00010000), IcqState::online);  // flags in the high half ignored
  EXPECT_EQ(icq_state(0x0001), IcqState::away);
  EXPECT_EQ(icq_state(0x0005), IcqState::not_available);
  EXPECT_EQ(icq_state(0x0011), IcqState::occupied);
  EXPECT_EQ(icq_state(0x0020), IcqState::free_for_chat);
  EXPECT_EQ(icq_state(0x0100), IcqState::invisible);
  EXPECT_STREQ(icq_state_name(IcqState::dnd), "do not disturb");
}

TEST(OscarUserInfo, OddLengthsKeptOpaque) {
  // A user class of 3 bytes and a capabilities TLV of 5 bytes: not errors, kept as TLVs.
  auto u = parse_user_info(hex("01 61 0000 0002 0001 0003 000010 000d 0005 0102030405"));
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->user_class);
  EXPECT_TRUE(u->capabilities.empty());
  EXPECT_EQ(u->other.size(), 2u);
  Bytes again;
  ASSERT_TRUE(append_user_info(again, *u).ok());
  auto u2 = parse_user_info(again);
  ASSERT_TRUE(u2.ok());
  EXPECT_EQ(*u2, *u);
}

TEST(OscarUserInfo, Malformed) {
  auto f = [](const char* h) {
    auto r = parse_user_info(hex(h));
    return r.ok() ? std::nullopt : fault_of(r.error());
  };
  EXPECT_EQ(f(""), Fault::truncated);
  EXPECT_EQ(f("05 6162"), Fault::truncated);                    // screen name cut
  EXPECT_EQ(f("01 61 00"), Fault::truncated);                   // warning level cut
  EXPECT_EQ(f("01 61 0000"), Fault::truncated);                 // no TLV count
  EXPECT_EQ(f("01 61 0000 0002 0001 0000"), Fault::truncated);  // one TLV of two
  EXPECT_EQ(f("01 61 0000 0001 0001 0004 00"), Fault::tlv_overrun);
  EXPECT_EQ(f("01 61 0000 0000 ff"), Fault::trailing_bytes);
}

TEST(OscarUserInfo, BuildLimits) {
  UserInfo u;
  u.screen_name = std::string(256, 'a');
  Bytes out;
  auto s = append_user_info(out, u);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(fault_of(s.error()), Fault::value_too_long);
  EXPECT_TRUE(out.empty());
}

TEST(OscarUserInfo, ListOfBlocks) {
  auto two = hex(kBob);
  auto more = hex("05 616c696365 0000 0000");
  two.insert(two.end(), more.begin(), more.end());
  auto l = parse_user_info_list(two);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[1].screen_name, "alice");
  auto limited = parse_user_info_list(two, 1);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(fault_of(limited.error()), Fault::too_many_items);
}

TEST(OscarUserInfo, RoundTripAllFields) {
  UserInfo u;
  u.screen_name = "Some One";
  u.warning_level = 50;
  u.user_class = user_class::icq;
  u.signon_time = 1;
  u.idle_minutes = 2;
  u.member_since = 3;
  u.icq_status = 0x00000020;
  u.online_time = 4;
  u.capabilities = {cap::icq_server_relay};
  u.other = {Tlv::of(0x000A, "\x7f\x00\x00\x01")};
  Bytes out;
  ASSERT_TRUE(append_user_info(out, u).ok());
  auto back = parse_user_info(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, u);
}

}  // namespace
}  // namespace passerelle::oscar
