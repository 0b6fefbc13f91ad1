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

TEST(SmsKeywords, PhoneAddressedAtAGateway) {
  auto a = parse_phone_addressed("  +33611111111   hello there ");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target, "+33611111111");
  EXPECT_EQ(a->text, "hello there");
  a = parse_phone_addressed("@0611111111 hi");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target, "0611111111");
  EXPECT_EQ(a->text, "hi");
  a = parse_phone_addressed("@SMS:+33611111111 hi");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target, "+33611111111");
  a = parse_phone_addressed("@rcs:+33611111111");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target, "+33611111111");
  EXPECT_EQ(a->text, "");
  // Refused later rather than sent as text to the latest phone.
  a = parse_phone_addressed("@xmpp:alice@example.org hi");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target, "xmpp:alice@example.org");
  // Text for the latest phone.
  EXPECT_FALSE(parse_phone_addressed("hello +33611111111"));
  EXPECT_FALSE(parse_phone_addressed("+ 1 for that"));
  EXPECT_FALSE(parse_phone_addressed("0611111111 is my number"));
  EXPECT_FALSE(parse_phone_addressed("@"));
  EXPECT_FALSE(parse_phone_addressed(""));
}

}  // namespace
}  // namespace passerelle
