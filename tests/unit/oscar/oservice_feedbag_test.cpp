#include <gtest/gtest.h>

#include "hex.hpp"
#include "oscar/codec/families.hpp"
#include "oscar/codec/fault.hpp"
#include "oscar/codec/feedbag.hpp"
#include "oscar/codec/oservice.hpp"

namespace passerelle::oscar {
namespace {

using test::hex;
using test::to_hex;

// Rate parameters reply with two classes; class 1 covers ICBM send (0x0004/0x0006) and
// typing (0x0004/0x0014), class 2 covers nothing listed.
const char* kRates =
    "0002"
    "0001 00000050 000009c4 000007d0 000005dc 00000320 00000d16 00001770 00000000 00"
    "0002 00000014 00000bb8 00000a8c 000007d0 000003e8 00000fa0 00001770 00000000 00"
    "0001 0002 0004 0006 0004 0014"
    "0002 0000";

TEST(OscarOservice, RateParams) {
  auto r = parse_rate_params(hex(kRates));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  const auto& c1 = (*r)[0];
  EXPECT_EQ(c1.id, 1);
  EXPECT_EQ(c1.window, 80u);
  EXPECT_EQ(c1.clear_level, 2500u);
  EXPECT_EQ(c1.alert_level, 2000u);
  EXPECT_EQ(c1.limit_level, 1500u);
  EXPECT_EQ(c1.disconnect_level, 800u);
  EXPECT_EQ(c1.current_level, 3350u);
  EXPECT_EQ(c1.max_level, 6000u);
  ASSERT_EQ(c1.members.size(), 2u);
  EXPECT_EQ(rate_class_for(*r, 0x0004, 0x0014), &(*r)[0]);
  EXPECT_EQ(rate_class_for(*r, 0x0013, 0x0008), nullptr);
  Bytes again;
  append_rate_params(again, *r);
  EXPECT_EQ(to_hex(again), to_hex(hex(kRates)));
  Bytes ack;
  append_rate_ack(ack, *r);
  EXPECT_EQ(to_hex(ack), "00010002");
}

TEST(OscarOservice, RateParamsMalformed) {
  auto full = hex(kRates);
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto r = parse_rate_params(ByteView(full).first(n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_TRUE(fault_of(r.error()).has_value());
  }
  EXPECT_EQ(fault_of(parse_rate_params(hex("ffff")).error()), Fault::too_many_items);
  // Members for a class that was not announced.
  auto bad = full;
  bad[2 + 2 * 35 + 1] = 0x09;
  EXPECT_EQ(fault_of(parse_rate_params(bad).error()), Fault::bad_value);
  // The same class id twice (found by fuzz_oscar: it made the re-encoding differ).
  auto twice = full;
  twice[2 + 35 + 1] = 0x01;
  EXPECT_EQ(fault_of(parse_rate_params(twice).error()), Fault::bad_value);
}

TEST(OscarOservice, RateChangeAndErrors) {
  auto rc = parse_rate_change(hex(std::string("0002") +
                                  "0001 00000050 000009c4 000007d0 000005dc 00000320 000007d0 "
                                  "00001770 00000000 00"));
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(rc->code, rate_change::warning);
  EXPECT_EQ(rc->params.current_level, 2000u);
  EXPECT_FALSE(parse_rate_change(hex("0002 0001")).ok());

  auto e = parse_snac_error(hex("0004 0008 0002 000e"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->code, snac_error::recipient_offline);
  EXPECT_EQ(e->subcode, 0x000e);
  EXPECT_EQ(parse_snac_error(hex("0004 0008 00"))->code, 4);  // bad TLVs do not hide the code
  EXPECT_FALSE(parse_snac_error(hex("00")).ok());
}

TEST(OscarOservice, FamiliesAndVersions) {
  auto f = parse_family_list(hex("0001 0002 0003 0004 0013"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, (std::vector<std::uint16_t>{1, 2, 3, 4, 0x13}));
  EXPECT_FALSE(parse_family_list(hex("000100")).ok());
  auto v = parse_family_versions(hex("0001 0004 0013 0004"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)[1], (FamilyVersion{0x13, 4}));
  Bytes b;
  append_family_versions(b, *v);
  EXPECT_EQ(to_hex(b), "0001000400130004");
  EXPECT_FALSE(parse_client_online(hex("0001 0004 0110")).ok());
  Bytes many(2 * 65, 0);
  EXPECT_EQ(fault_of(parse_family_list(many).error()), Fault::too_many_items);
}

// A feedbag reply: root group listing group 1, group "Buddies" listing buddy 0x0A,
// buddy "bob" with an alias, then the last-change time.
const char* kFeedbag =
    "00 0003"
    "0000 0000 0000 0001 0006 00c8 0002 0001"
    "0007 42756464696573 0001 0000 0001 0006 00c8 0002 000a"
    "0003 626f62 0001 000a 0000 0007 0131 0003 426f62"
    "5f5e1000";

TEST(OscarFeedbag, ReplyRoundTrip) {
  auto r = parse_feedbag_reply(hex(kFeedbag));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->items.size(), 3u);
  EXPECT_EQ(r->items[0].class_id, feedbag_class::group);
  EXPECT_EQ(r->items[0].order(), std::vector<std::uint16_t>{1});
  EXPECT_EQ(r->items[1].name, "Buddies");
  EXPECT_EQ(r->items[1].order(), std::vector<std::uint16_t>{0x0a});
  EXPECT_EQ(r->items[2].name, "bob");
  EXPECT_EQ(r->items[2].class_id, feedbag_class::buddy);
  EXPECT_EQ(r->items[2].group_id, 1);
  EXPECT_EQ(r->items[2].alias(), "Bob");
  EXPECT_EQ(r->last_update, 0x5f5e1000u);
  Bytes again;
  ASSERT_TRUE(append_feedbag_reply(again, *r).ok());
  EXPECT_EQ(to_hex(again), to_hex(hex(kFeedbag)));
  // A part of a split list without the time.
  auto part = hex(kFeedbag);
  part.resize(part.size() - 4);
  auto p = parse_feedbag_reply(part);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->last_update);
}

TEST(OscarFeedbag, Malformed) {
  auto full = hex(kFeedbag);
  // Cut inside the items: typed errors.
  for (std::size_t n = 0; n + 4 < full.size(); ++n) {
    auto r = parse_feedbag_reply(ByteView(full).first(n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_TRUE(fault_of(r.error()).has_value());
  }
  // The attribute block of "bob" says 7 bytes but its TLV claims 9.
  auto lie = hex("0003 626f62 0001 000a 0000 0007 0131 0005 426f62");
  EXPECT_EQ(fault_of(parse_feedbag_items(lie).error()), Fault::block_length_mismatch);
  EXPECT_EQ(fault_of(parse_feedbag_reply(hex("00 ffff")).error()), Fault::too_many_items);
  EXPECT_EQ(fault_of(parse_feedbag_reply(hex("00 0000 00000000 00")).error()),
            Fault::trailing_bytes);
}

TEST(OscarFeedbag, ItemsAndStatus) {
  FeedbagItem buddy{"alice", 1, 0x0b, feedbag_class::buddy, {Tlv{feedbag_attr::pending_auth, {}}}};
  Bytes b;
  ASSERT_TRUE(append_feedbag_items(b, {buddy}).ok());
  EXPECT_EQ(to_hex(b),
            "0005616c696365"
            "0001000b0000"
            "0004"
            "00660000");
  auto items = parse_feedbag_items(b);
  ASSERT_TRUE(items.ok());
  EXPECT_EQ((*items)[0], buddy);
  auto st = parse_feedbag_status(hex("0000 000e"));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ((*st)[1], feedbag_status::requires_authorization);
  EXPECT_STREQ(feedbag_status_reason((*st)[1]), "the contact must authorize the addition first");
  EXPECT_FALSE(parse_feedbag_status(hex("00")).ok());
}

}  // namespace
}  // namespace passerelle::oscar
