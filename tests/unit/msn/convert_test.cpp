#include "msn/convert/convert.hpp"

#include <gtest/gtest.h>

namespace passerelle::msn {
namespace {

TEST(MsnConvert, StatusToPresence) {
  EXPECT_EQ(to_presence_state(Status::online), PresenceState::available);
  EXPECT_EQ(to_presence_state(Status::busy), PresenceState::busy);
  EXPECT_EQ(to_presence_state(Status::on_the_phone), PresenceState::busy);
  EXPECT_EQ(to_presence_state(Status::away), PresenceState::away);
  EXPECT_EQ(to_presence_state(Status::idle), PresenceState::xa);
  EXPECT_EQ(to_presence_state(Status::be_right_back), PresenceState::xa);
  EXPECT_EQ(to_presence_state(Status::out_to_lunch), PresenceState::xa);
  EXPECT_EQ(to_presence_state(Status::hidden), PresenceState::offline);
  EXPECT_EQ(to_presence_state(Status::offline), PresenceState::offline);
  auto p = to_presence(Status::away, "au café");
  EXPECT_EQ(p.state, PresenceState::away);
  EXPECT_EQ(p.status, "au café");
}

TEST(MsnConvert, PresenceToStatus) {
  EXPECT_EQ(from_presence_state(PresenceState::available), Status::online);
  EXPECT_EQ(from_presence_state(PresenceState::chatty), Status::online);
  EXPECT_EQ(from_presence_state(PresenceState::away), Status::away);
  EXPECT_EQ(from_presence_state(PresenceState::xa), Status::be_right_back);
  EXPECT_EQ(from_presence_state(PresenceState::busy), Status::busy);
  EXPECT_EQ(from_presence_state(PresenceState::invisible), Status::hidden);
  EXPECT_EQ(from_presence_state(PresenceState::offline), Status::away);
}

TEST(MsnConvert, OneMsgFitsTheSwitchboardLimit) {
  const std::string body(max_text_body_bytes(), 'x');
  EXPECT_EQ(build_text(body).size(), kMaxMsgPayload);
  EXPECT_GT(max_text_body_bytes(), 1400u);
  EXPECT_EQ(max_message_bytes(), max_text_body_bytes() * kMaxParts);
}

TEST(MsnConvert, SplitKeepsUtf8AndPrefersSpaces) {
  EXPECT_EQ(split_text("", 10), std::vector<std::string>{""});
  EXPECT_EQ(split_text("short", 10), std::vector<std::string>{"short"});
  auto parts = split_text("aaaa bbbb cccc", 10);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "aaaa bbbb ");
  EXPECT_EQ(parts[1], "cccc");
  // "é" is 2 bytes, "日" 3, "😀" 4: no part ends inside a sequence.
  const std::string text = "é日😀é日😀é日😀é日😀";
  for (std::size_t max = 4; max < 12; ++max) {
    std::string joined;
    for (const auto& p : split_text(text, max)) {
      EXPECT_LE(p.size(), max);
      EXPECT_TRUE(is_valid_utf8(p)) << max;
      joined += p;
    }
    EXPECT_EQ(joined, text);
  }
}

TEST(MsnConvert, InboundTexts) {
  EXPECT_EQ(*inbound_text(MimeMessage{Text{"salut", {}, "UTF-8"}}), "salut");
  EXPECT_EQ(*inbound_text(MimeMessage{Nudge{}}), "*nudge*");
  EXPECT_FALSE(inbound_text(MimeMessage{Typing{"bob@example.com"}}));
  EXPECT_FALSE(inbound_text(MimeMessage{Other{"application/x-msnmsgrp2p"}}));
  EXPECT_EQ(error_text("recipient unknown"), "passerelle: recipient unknown");
}

}  // namespace
}  // namespace passerelle::msn
