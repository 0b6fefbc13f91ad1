// The number portability table: CSV lines, header, comments, and errors naming the line.

#include "router/portability.hpp"

#include <gtest/gtest.h>

#include "router/rcs_plan.hpp"

namespace passerelle {
namespace {

TEST(Portability, ReadsNumbersWithTheirPlatformAndSmsc) {
  auto t = PortabilityTable::parse(
      "# ported numbers\nnumber,platform,smsc\n\n+33611111111,carrier-b,smsc-b\r\n"
      " +33622222222 , , smsc-b \n+33633333333,carrier-a\n",
      "ported.csv");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->size(), 3u);
  EXPECT_EQ(t->find("+33611111111")->platform, "carrier-b");
  EXPECT_EQ(t->find("+33611111111")->smsc, "smsc-b");
  EXPECT_EQ(t->find("+33622222222")->platform, "");
  EXPECT_EQ(t->find("+33622222222")->smsc, "smsc-b");
  EXPECT_EQ(t->find("+33633333333")->smsc, "");
  EXPECT_FALSE(t->find("+33644444444"));
}

TEST(Portability, ErrorsNameTheFileAndLine) {
  auto bad = [](std::string_view text) {
    auto t = PortabilityTable::parse(text, "ported.csv");
    return t.ok() ? std::string() : t.error().message;
  };
  EXPECT_EQ(bad("+33611111111,a\n0611111111,a\n"),
            "ported.csv:2: \"0611111111\" is not an E.164 number (+ and 8 to 15 digits)");
  EXPECT_EQ(bad("+33611111111,,\n"),
            "ported.csv:1: a ported number names its platform, its SMSC, or both");
  EXPECT_EQ(bad("+33611111111,a,b,c\n"),
            "ported.csv:1: too many fields: expected number,platform,smsc");
  EXPECT_EQ(bad("+33611111111,a\n+33611111111,b\n"), "ported.csv:2: +33611111111 is listed twice");
  auto known = [](const void*, std::string_view kind, std::string_view name) {
    return kind == "platform" ? name == "carrier-a" : name == "smsc-a";
  };
  auto t = PortabilityTable::parse("+33611111111,carrier-z,\n", "p.csv", known, nullptr);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message, "p.csv:1: no [[rcs.platform]] is named \"carrier-z\"");
  t = PortabilityTable::parse("+33611111111,carrier-a,smsc-z\n", "p.csv", known, nullptr);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message, "p.csv:1: no [[sms.smsc]] is named \"smsc-z\"");
}

TEST(RcsPlan, LongestRangeWinsAndThePortabilityTableOverrides) {
  config::RcsSection s;
  s.enabled = true;
  config::RcsPlatform a;
  a.name = "a";
  a.bot_id = "bot-a";
  a.ranges = {"+336"};
  config::RcsPlatform b = a;
  b.name = "b";
  b.bot_id = "bot-b";
  b.ranges = {"+3362"};
  s.platforms = {a, b};
  RcsPlan plan(s);
  EXPECT_EQ(plan.route("+33611111111")->platform, "a");
  EXPECT_EQ(plan.route("+33622222222")->platform, "b");
  EXPECT_EQ(plan.route("+33622222222")->bot.str(), "rcs:bot-b@b");
  EXPECT_FALSE(plan.route("+4477"));
  EXPECT_TRUE(plan.is_bot(bot_address("bot-a", "a")));
  EXPECT_FALSE(plan.is_bot(bot_address("bot-b", "a")));
  EXPECT_FALSE(plan.is_bot(Address{Network::rcs, "+33611111111"}));

  auto t = PortabilityTable::parse("+33611111111,b,\n+33622222222,,s\n", "p.csv");
  ASSERT_TRUE(t.ok());
  plan.set_portability(std::make_shared<const PortabilityTable>(std::move(*t)));
  EXPECT_EQ(plan.route("+33611111111")->platform, "b");
  EXPECT_FALSE(plan.route("+33622222222"));  // ported away from b, to no platform of ours
  EXPECT_EQ(plan.ported_smsc("+33622222222"), "s");
  EXPECT_EQ(plan.route("+33633333333")->platform, "a");
}

TEST(RcsPlan, DisabledRoutesNothing) {
  config::RcsSection s;
  config::RcsPlatform a;
  a.name = "a";
  a.ranges = {"+"};
  s.platforms = {a};
  EXPECT_FALSE(RcsPlan(s).route("+33611111111"));
}

}  // namespace
}  // namespace passerelle
