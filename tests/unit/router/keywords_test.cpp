#include "router/keywords.hpp"

#include <gtest/gtest.h>

namespace passerelle {
namespace {

TEST(SmsKeywords, StopStartHelp) {
  EXPECT_EQ(parse_sms_command("STOP"), SmsCommand::stop);
  EXPECT_EQ(parse_sms_command("  stop \n"), SmsCommand::stop);
  EXPECT_EQ(parse_sms_command("Unsubscribe"), SmsCommand::stop);
  EXPECT_EQ(parse_sms_command("start"), SmsCommand::start);
  EXPECT_EQ(parse_sms_command("HELP"), SmsCommand::help);
  EXPECT_EQ(parse_sms_command("stop that"), SmsCommand::none);
  EXPECT_EQ(parse_sms_command("please stop"), SmsCommand::none);
  EXPECT_EQ(parse_sms_command(""), SmsCommand::none);
}

TEST(SmsKeywords, AddressedReply) {
  auto a = parse_addressed("@xmpp:alice@example.org  hello there");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target, "xmpp:alice@example.org");
  EXPECT_EQ(a->text, "hello there");
  auto only = parse_addressed("@sms:+33611111111");
  ASSERT_TRUE(only);
  EXPECT_EQ(only->text, "");
  EXPECT_FALSE(parse_addressed("hello @xmpp:a@b"));
  EXPECT_FALSE(parse_addressed("@alice hi"));  // no network
  EXPECT_FALSE(parse_addressed("@"));
}

}  // namespace
}  // namespace passerelle
