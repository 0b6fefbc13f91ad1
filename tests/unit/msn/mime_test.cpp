#include "msn/codec/mime.hpp"

#include <gtest/gtest.h>

namespace passerelle::msn {
namespace {

TEST(MsnMime, TextWithFormatRoundTrip) {
  TextFormat f;
  f.font = "MS Sans Serif";
  f.effects = "BI";
  f.color = 0xff;
  f.charset = 0x86;
  f.pitch_family = 0x22;
  const std::string body = "caf\xC3\xA9 \xE2\x82\xAC";  // "café €": 6 characters, 9 bytes
  const std::string p = build_text(body, f);
  EXPECT_NE(p.find("X-MMS-IM-Format: FN=MS%20Sans%20Serif; EF=BI; CO=ff; CS=86; PF=22\r\n\r\n"),
            std::string::npos);
  EXPECT_EQ(p.size(), p.find("\r\n\r\n") + 4 + 9);
  auto m = parse_message(p);
  ASSERT_TRUE(m.ok());
  const auto& t = std::get<Text>(m.value());
  EXPECT_EQ(t.body, body);
  EXPECT_EQ(t.format, f);
}

TEST(MsnMime, RightToLeftAndUnknownFields) {
  auto f = parse_text_format("FN=Tahoma; EF=U; CO=zz; CS=0; PF=0; RL=1; XX=5");
  EXPECT_EQ(f.font, "Tahoma");
  EXPECT_EQ(f.effects, "U");
  EXPECT_EQ(f.color, 0u);  // bad value: default kept
  EXPECT_TRUE(f.right_to_left);
  EXPECT_NE(format_text_format(f).find("; RL=1"), std::string::npos);
}

TEST(MsnMime, TypingAndNudge) {
  auto m = parse_message(build_typing("bob@example.com"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::get<Typing>(m.value()).user, "bob@example.com");
  m = parse_message(build_nudge());
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(std::holds_alternative<Nudge>(m.value()));
  m = parse_message(
      "MIME-Version: 1.0\r\nContent-Type: text/x-msnmsgr-datacast\r\n\r\nID: 2\r\n"
      "Data: wink\r\n\r\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::get<Other>(m.value()).content_type, "text/x-msnmsgr-datacast");
  // A header cannot be smuggled through the typing user.
  auto p = build_typing("a\r\n\r\nb");
  EXPECT_EQ(std::get<Typing>(parse_message(p).value()).user, "ab");
}

TEST(MsnMime, InitialEmailNotification) {
  auto m = parse_message(
      "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinitialemailnotification; charset=UTF-8\r\n"
      "\r\nInbox-Unread: 3\r\nFolders-Unread: 0\r\nInbox-URL: /cgi-bin/HoTMaiL\r\n"
      "Folders-URL: /cgi-bin/folders\r\nPost-URL: http://www.hotmail.com\r\n\r\n");
  ASSERT_TRUE(m.ok());
  const auto& n = std::get<EmailNotification>(m.value());
  EXPECT_TRUE(n.initial);
  EXPECT_EQ(n.inbox_unread, 3);
  EXPECT_EQ(n.folders_unread, 0);
  EXPECT_EQ(n.post_url, "http://www.hotmail.com");
}

TEST(MsnMime, NewMailNotification) {
  auto m = parse_message(
      "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsemailnotification; charset=UTF-8\r\n\r\n"
      "From: Alice\r\nMessage-URL: /cgi-bin/getmsg\r\nFrom-Addr: alice@example.com\r\n"
      "Subject: Hi\r\n\r\n");
  ASSERT_TRUE(m.ok());
  const auto& n = std::get<EmailNotification>(m.value());
  EXPECT_FALSE(n.initial);
  EXPECT_EQ(n.from_addr, "alice@example.com");
  EXPECT_EQ(n.subject, "Hi");
  EXPECT_EQ(n.inbox_unread, -1);
}

TEST(MsnMime, OtherTypesAndCaseInsensitiveHeaders) {
  auto m = parse_message(
      "mime-version: 1.0\r\ncontent-type: Application/X-MSNMSGRP2P\r\n"
      "P2P-Dest: bob@example.com\r\n\r\n\x00\x01binary");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::get<Other>(m.value()).content_type, "application/x-msnmsgrp2p");
  auto ct = parse_content_type("text/plain;charset=\"utf-8\"; format=flowed");
  EXPECT_EQ(ct.type, "text/plain");
  EXPECT_EQ(ct.charset, "utf-8");
}

TEST(MsnMime, Malformed) {
  EXPECT_FALSE(parse_message("").ok());
  EXPECT_FALSE(parse_message("MIME-Version: 1.0\r\nContent-Type: text/plain").ok());
  EXPECT_FALSE(parse_message("MIME-Version: 1.0\r\nContent-Type: text/plain\r\n").ok());
  EXPECT_FALSE(parse_message("MIME-Version: 1.0\r\n\r\nbody").ok());  // no Content-Type
  EXPECT_FALSE(parse_message("no colon here\r\n\r\n").ok());
  std::string many;
  for (int i = 0; i < 100; ++i) many += "X-H: v\r\n";
  auto r = parse_message(many + "\r\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::limit_exceeded);
}

TEST(MsnMime, BodyKeepsItsBytes) {
  const std::string p =
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nline1\r\n\r\nline2";
  auto m = parse_message(p);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::get<Text>(m.value()).body, "line1\r\n\r\nline2");
  EXPECT_EQ(std::get<Text>(m.value()).format, TextFormat{});
}

}  // namespace
}  // namespace passerelle::msn
