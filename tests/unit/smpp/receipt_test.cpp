#include "smpp/codec/receipt.hpp"

#include <gtest/gtest.h>

namespace passerelle::smpp {
namespace {

TEST(Receipt, AppendixBFormat) {
  auto r = parse_receipt_text(
      "id:0123456789 sub:001 dlvrd:001 submit date:2311231200 done date:2311231201 stat:DELIVRD "
      "err:000 text:Hello world, how");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "0123456789");
  EXPECT_EQ(r->sub, "001");
  EXPECT_EQ(r->dlvrd, "001");
  EXPECT_EQ(r->submit_date, "2311231200");
  EXPECT_EQ(r->done_date, "2311231201");
  EXPECT_EQ(r->stat, "DELIVRD");
  EXPECT_EQ(r->err, "000");
  EXPECT_EQ(r->text, "Hello world, how");
}

TEST(Receipt, RealWorldVariants) {
  // Upper-case keys, hex id, underscores, seconds in dates, "Text:" with nothing after.
  auto a = parse_receipt_text(
      "ID:7f3a9c01 SUB:001 DLVRD:000 SUBMIT_DATE:231123120000 DONE_DATE:231123120500 "
      "STAT:UNDELIV ERR:034 Text:");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->id, "7f3a9c01");
  EXPECT_EQ(a->submit_date, "231123120000");
  EXPECT_EQ(a->stat, "UNDELIV");
  EXPECT_EQ(a->err, "034");
  EXPECT_EQ(a->text, "");
  // Missing fields and an unknown token.
  auto b = parse_receipt_text("id:42 foo:bar stat:ENROUTE");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, "42");
  EXPECT_EQ(b->stat, "ENROUTE");
  EXPECT_EQ(b->sub, "");
  // A space before the colon, and text containing keys.
  auto c = parse_receipt_text("id:9 stat :EXPIRED text:stat:DELIVRD id:1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, "9");
  EXPECT_EQ(c->stat, "EXPIRED");
  EXPECT_EQ(c->text, "stat:DELIVRD id:1");
  EXPECT_FALSE(parse_receipt_text("hello there"));
  EXPECT_FALSE(parse_receipt_text(""));
  EXPECT_FALSE(parse_receipt_text("id: stat:"));
}

TEST(Receipt, StatMapping) {
  EXPECT_EQ(delivery_state_from_stat("DELIVRD"), DeliveryState::delivered);
  EXPECT_EQ(delivery_state_from_stat("delivrd"), DeliveryState::delivered);
  EXPECT_EQ(delivery_state_from_stat("EXPIRED"), DeliveryState::failed);
  EXPECT_EQ(delivery_state_from_stat("DELETED"), DeliveryState::failed);
  EXPECT_EQ(delivery_state_from_stat("UNDELIV"), DeliveryState::failed);
  EXPECT_EQ(delivery_state_from_stat("ACCEPTD"), DeliveryState::acked);
  EXPECT_EQ(delivery_state_from_stat("UNKNOWN"), DeliveryState::unknown);
  EXPECT_EQ(delivery_state_from_stat("REJECTD"), DeliveryState::failed);
  EXPECT_EQ(delivery_state_from_stat("ENROUTE"), DeliveryState::sent);
  EXPECT_EQ(delivery_state_from_stat("UNDELIVERABLE"), DeliveryState::failed);
  EXPECT_EQ(delivery_state_from_stat("bogus"), DeliveryState::unknown);
  for (std::uint8_t s = 1; s <= 8; ++s) {
    EXPECT_NE(stat_from_message_state(s), "");
  }
  EXPECT_EQ(stat_from_message_state(2), "DELIVRD");
  EXPECT_EQ(stat_from_message_state(99), "UNKNOWN");
}

// A sender whose SMS failed is told why in words; every state that fails a message has
// them, the others none.
TEST(Receipt, FailedStatesAreDescribedInWords) {
  for (std::uint8_t s = 1; s <= 8; ++s) {
    const auto stat = stat_from_message_state(s);
    EXPECT_EQ(describe_stat(stat).empty(), delivery_state_from_stat(stat) != DeliveryState::failed)
        << stat;
  }
  EXPECT_EQ(describe_stat("undeliv"), "the phone's network could not deliver it");
  EXPECT_EQ(describe_stat("REJECTED"), describe_stat("REJECTD"));
  EXPECT_EQ(describe_stat("bogus"), "");
}

TEST(Receipt, FromDeliverSm) {
  ShortMessageBody sm;
  sm.esm_class = 0x04;
  sm.short_message =
      "id:ABC sub:001 dlvrd:001 submit date:2311231200 done date:2311231201 stat:DELIVRD err:000 "
      "text:x";
  ASSERT_TRUE(is_receipt(sm));
  auto r = receipt_of(sm);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "ABC");
  EXPECT_EQ(r->state, DeliveryState::delivered);
  EXPECT_EQ(r->err, "000");
  // TLVs win over the text.
  sm.tlvs.receipted_message_id = "abc-tlv";
  sm.tlvs.message_state = 5;
  r = receipt_of(sm);
  EXPECT_EQ(r->message_id, "abc-tlv");
  EXPECT_EQ(r->stat, "UNDELIV");
  EXPECT_EQ(r->state, DeliveryState::failed);
  // TLVs only, with a network error code.
  ShortMessageBody t;
  t.tlvs.receipted_message_id = "77";
  t.tlvs.message_state = 3;
  t.tlvs.network_error_code = NetworkErrorCode{3, 11};
  ASSERT_TRUE(is_receipt(t));
  r = receipt_of(t);
  EXPECT_EQ(r->state, DeliveryState::failed);
  EXPECT_EQ(r->err, "3:11");
  // Not a receipt.
  ShortMessageBody mo;
  mo.short_message = "hi";
  EXPECT_FALSE(is_receipt(mo));
  EXPECT_FALSE(receipt_of(mo));
}

}  // namespace
}  // namespace passerelle::smpp
