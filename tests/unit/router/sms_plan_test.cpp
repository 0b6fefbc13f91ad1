#include "router/sms_plan.hpp"

#include <gtest/gtest.h>

namespace passerelle {
namespace {

config::SmsSection two_smscs() {
  config::SmsSection s;
  s.sender_numbers = {"+33700000001", "+33700000002"};
  config::Smsc a;
  a.name = "fr";
  a.prefixes = {"+33"};
  a.tariff = {{"+", 5}, {"+336", 4}};
  config::Smsc b;
  b.name = "world";
  b.prefixes = {"+"};
  b.tariff = {{"+", 9}, {"+44", 7}};
  s.smsc = {a, b};
  return s;
}

TEST(SmsPlan, LongestPrefixRouteAndTariff) {
  SmsPlan plan(two_smscs());
  auto fr = plan.route("+33612345678");
  ASSERT_TRUE(fr.ok());
  EXPECT_EQ(fr->smsc, "fr");
  EXPECT_EQ(fr->connector, "smpp:fr");
  EXPECT_EQ(fr->price_per_segment, 4);
  EXPECT_EQ(plan.route("+33142685300")->price_per_segment, 5);
  EXPECT_EQ(plan.route("+447911123456")->smsc, "world");
  EXPECT_EQ(plan.route("+447911123456")->price_per_segment, 7);
  EXPECT_EQ(plan.route("+15551234567")->price_per_segment, 9);
}

TEST(SmsPlan, NoRouteIsAnError) {
  config::SmsSection s;
  config::Smsc a;
  a.name = "fr";
  a.prefixes = {"+33"};
  s.smsc = {a};
  SmsPlan plan(s);
  EXPECT_FALSE(plan.route("+447911123456").ok());
}

TEST(SmsPlan, SenderPoolKeepsConversationsApart) {
  SmsPlan plan(two_smscs());
  const std::string phone = "+33611111111";
  auto s1 = plan.choose_sender(phone, "sms:" + phone, "xmpp:alice@x");
  plan.touch_thread(s1, phone, "sms:" + phone, "xmpp:alice@x", "c1", 100);
  auto s2 = plan.choose_sender(phone, "sms:" + phone, "xmpp:dave@x");
  EXPECT_NE(s1, s2);  // a second conversation gets the other number
  plan.touch_thread(s2, phone, "sms:" + phone, "xmpp:dave@x", "c2", 200);
  EXPECT_EQ(plan.choose_sender(phone, "sms:" + phone, "xmpp:alice@x"), s1);  // stable
  EXPECT_EQ(plan.latest_thread(s1, phone)->remote, "xmpp:alice@x");
  EXPECT_EQ(plan.latest_thread(s2, phone)->remote, "xmpp:dave@x");
  // A third conversation reuses the number whose conversation is the oldest.
  EXPECT_EQ(plan.choose_sender(phone, "sms:" + phone, "xmpp:eve@x"), s1);
  EXPECT_EQ(plan.thread_with(phone, "xmpp:dave@x")->sender_number, s2);
  EXPECT_FALSE(plan.thread_with(phone, "xmpp:nobody@x"));
}

TEST(SmsPlan, OneNumberRepliesGoToTheLatest) {
  auto cfg = two_smscs();
  cfg.sender_numbers = {"+33700000001"};
  SmsPlan plan(cfg);
  const std::string phone = "+33611111111";
  plan.touch_thread("+33700000001", phone, "sms:" + phone, "xmpp:alice@x", "c1", 100);
  plan.touch_thread("+33700000001", phone, "sms:" + phone, "xmpp:dave@x", "c2",
                    100);  // same ms: still later
  EXPECT_EQ(plan.latest_thread("+33700000001", phone)->remote, "xmpp:dave@x");
  const auto back =
      plan.touch_thread("+33700000001", phone, "sms:" + phone, "xmpp:alice@x", "c1", 50);
  EXPECT_EQ(plan.latest_thread("+33700000001", phone)->remote, "xmpp:alice@x");
  // Strictly later than dave's, as stored: read back in either order (a restart), alice's
  // thread is still the latest.
  const auto dave = plan.thread_with(phone, "xmpp:dave@x");
  ASSERT_TRUE(dave);
  EXPECT_GT(back.updated_ms, dave->updated_ms);
  for (bool dave_first : {true, false}) {
    SmsPlan reloaded(cfg);
    const auto alice = *plan.thread_with(phone, "xmpp:alice@x");
    reloaded.load_thread(dave_first ? *dave : alice);
    reloaded.load_thread(dave_first ? alice : *dave);
    EXPECT_EQ(reloaded.latest_thread("+33700000001", phone)->remote, "xmpp:alice@x");
  }
  // A tie read back from the store (written before ties were broken): the thread touched
  // next is strictly the latest, whichever of the two it is.
  for (const char* who : {"xmpp:alice@x", "xmpp:dave@x"}) {
    SmsPlan tied(cfg);
    tied.load_thread({"+33700000001", phone, "sms:" + phone, "xmpp:alice@x", "c1", 300});
    tied.load_thread({"+33700000001", phone, "sms:" + phone, "xmpp:dave@x", "c2", 300});
    const auto touched = tied.touch_thread("+33700000001", phone, "sms:" + phone, who, "c", 10);
    const auto other =
        tied.thread_with(phone, std::string(who) == "xmpp:dave@x" ? "xmpp:alice@x" : "xmpp:dave@x");
    ASSERT_TRUE(other);
    EXPECT_GT(touched.updated_ms, other->updated_ms) << who;
  }
}

TEST(SmsPlan, SpendResetsWithTheMonth) {
  SmsPlan plan(two_smscs());
  plan.set_month("2026-11");
  plan.add_spend("alice", 10);
  EXPECT_EQ(plan.spent("alice"), 10);
  plan.set_month("2026-12");
  EXPECT_EQ(plan.spent("alice"), 0);
  EXPECT_EQ(month_of(0), "1970-01");
}

}  // namespace
}  // namespace passerelle
