// Building the bot's requests: what the platform would refuse is refused here first, with
// the field named; what is built is valid JSON with the values exactly.

#include "rcs/codec/message.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "fixture_util.hpp"

namespace passerelle::rcs {
namespace {

namespace json = boost::json;

void expect_not_built(const Result<std::string>& r, std::string_view field) {
  ASSERT_FALSE(r.ok()) << r.value();
  EXPECT_EQ(r.error().code, Errc::invalid_input);
  EXPECT_NE(r.error().message.find(field), std::string::npos)
      << "'" << r.error().message << "' does not name " << field;
}

const Envelope kTo{"+33611111111", "01JABCDEF", ""};

TEST(RcsMessage, TextRoundTripsExactly) {
  const std::string text = "quotes \" backslash \\ newline \n tab \t nul? é 😀 </script>";
  auto body = build_text_message(kTo, {text});
  ASSERT_TRUE(body.ok()) << body.error().message;
  const json::value v = json::parse(body.value());
  EXPECT_EQ(v.at("RCSMessage").at("textMessage").as_string(), text);
  EXPECT_EQ(v.at("RCSMessage").at("msgId").as_string(), "01JABCDEF");
  EXPECT_EQ(v.at("messageContact").at("userContact").as_string(), "+33611111111");
  EXPECT_EQ(body.value().find("null"), std::string::npos);
}

TEST(RcsMessage, TextChecks) {
  expect_not_built(build_text_message(kTo, {""}), "RCSMessage.textMessage: empty");
  expect_not_built(build_text_message(kTo, {"bad \xc3"}), "RCSMessage.textMessage: not UTF-8");
  Limits lim;
  lim.max_text = 8;
  expect_not_built(build_text_message(kTo, {"123456789"}, lim),
                   "RCSMessage.textMessage: 9 bytes, over the limit of 8");
  EXPECT_TRUE(build_text_message(kTo, {"12345678"}, lim).ok());
  expect_not_built(build_text_message({"0611111111"}, {"x"}), "messageContact.userContact");
  expect_not_built(build_text_message({""}, {"x"}), "messageContact.userContact");
  expect_not_built(build_text_message({"+33611111111", std::string(129, 'a')}, {"x"}),
                   "RCSMessage.msgId: 129 bytes, over the limit of 128");
  expect_not_built(build_text_message({"+33611111111", "a\nb"}, {"x"}),
                   "RCSMessage.msgId: control character");
  expect_not_built(build_text_message({"+33611111111", "", "bad\x01"}, {"x"}),
                   "RCSMessage.trafficType");
  EXPECT_TRUE(build_text_message({"+33611111111", std::string(128, 'a')}, {"x"}).ok());
}

TEST(RcsMessage, SuggestionLimits) {
  TextMessage m{"pick", {}};
  for (int i = 0; i < 11; ++i) m.suggestions.push_back(Reply{"r" + std::to_string(i), ""});
  auto eleven = build_text_message(kTo, m);
  ASSERT_TRUE(eleven.ok()) << eleven.error().message;
  // No postback: none written.
  EXPECT_EQ(eleven.value().find("postback"), std::string::npos);
  m.suggestions.push_back(Reply{"twelve", ""});
  expect_not_built(
      build_text_message(kTo, m),
      "RCSMessage.suggestedChipList.suggestions: 12 suggestions, over the limit of 11");

  std::string e25;
  for (int i = 0; i < 25; ++i) e25 += "é";  // 25 characters, 50 bytes
  EXPECT_TRUE(build_text_message(kTo, {"pick", {Reply{e25, "x"}}}).ok());
  expect_not_built(build_text_message(kTo, {"pick", {Reply{e25 + "e", "x"}}}),
                   "suggestions[0].reply.displayText: longer than 25 characters");
  expect_not_built(build_text_message(kTo, {"pick", {Reply{std::string(200, 'a'), "x"}}}),
                   "suggestions[0].reply.displayText: longer than 25 characters");
  expect_not_built(build_text_message(kTo, {"pick", {Reply{"", "x"}}}),
                   "suggestions[0].reply.displayText: empty");
  expect_not_built(build_text_message(kTo, {"pick", {Reply{"ok", std::string(2049, 'p')}}}),
                   "suggestions[0].reply.postback.data: longer than 2048 characters");
  expect_not_built(
      build_text_message(kTo, {"pick", {Reply{"a", ""}, Action{"", "", OpenUrl{"https://a"}}}}),
      "suggestions[1].action.displayText: empty");
}

TEST(RcsMessage, ActionChecks) {
  auto with = [](ActionKind what) {
    return build_text_message(kTo, {"pick", {Action{"Go", "pb", std::move(what)}}});
  };
  expect_not_built(with(OpenUrl{""}), "suggestions[0].action.urlAction.openUrl.url: empty");
  expect_not_built(with(OpenUrl{"https://a b"}), "openUrl.url: a URL has no spaces");
  EXPECT_TRUE(with(OpenUrl{"tel:+33611111111"}).ok());  // any scheme for an action
  expect_not_built(with(DialPhone{"555-1234"}), "dialerAction.dialPhoneNumber.phoneNumber");
  expect_not_built(with(DialVideoCall{""}), "dialerAction.dialVideoCall.phoneNumber");
  ShowLocation both;
  both.latitude = 1;
  both.longitude = 2;
  both.query = "x";
  expect_not_built(with(both), "mapAction.showLocation.location: either latitude and longitude");
  ShowLocation neither;
  expect_not_built(with(neither), "mapAction.showLocation.location");
  ShowLocation half;
  half.latitude = 1;
  expect_not_built(with(half), "both required");
  ShowLocation far;
  far.latitude = 91;
  far.longitude = 0;
  expect_not_built(with(far), "latitude in [-90, 90]");
  ShowLocation nan;
  nan.latitude = std::nan("");
  nan.longitude = 0;
  expect_not_built(with(nan), "mapAction.showLocation.location");
  expect_not_built(with(ComposeRecordingMessage{"+33611111111", "PHOTO"}),
                   "composeRecordingMessage.type: AUDIO or VIDEO");
  expect_not_built(with(CreateCalendarEvent{"", "2017-03-14T23:59:59Z", "t", ""}),
                   "createCalendarEvent.startTime: empty");
  expect_not_built(with(ComposeTextMessage{"+33611111111", ""}), "composeTextMessage.text: empty");
}

TEST(RcsMessage, FileChecks) {
  FileMessage m;
  m.file = {"https://files.example/a.jpg", "a.jpg", "image/jpeg", 1234};
  auto ok = build_file_message(kTo, m);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  const json::value v = json::parse(ok.value());
  EXPECT_EQ(v.at("RCSMessage").at("fileMessage").at("fileSize").as_int64(), 1234);
  EXPECT_EQ(v.at("RCSMessage").at("fileMessage").at("fileMIMEType").as_string(), "image/jpeg");

  FileMessage big = m;
  big.file.size = 100ull * 1024 * 1024 * 1024 * 1024;  // sizes past 2^32 are written exactly
  auto b = build_file_message(kTo, big);
  ASSERT_TRUE(b.ok());
  EXPECT_NE(b.value().find("\"fileSize\":109951162777600"), std::string::npos) << b.value();

  FileMessage bad = m;
  bad.file.url = "file:///etc/passwd";
  expect_not_built(build_file_message(kTo, bad), "RCSMessage.fileMessage.fileUrl");
  bad = m;
  bad.file.url = "";
  expect_not_built(build_file_message(kTo, bad), "RCSMessage.fileMessage.fileUrl: empty");
  bad = m;
  bad.file.name = "a\r\nb.jpg";
  expect_not_built(build_file_message(kTo, bad), "RCSMessage.fileMessage.fileName");
  bad = m;
  bad.thumbnail = FileRef{"", "t.jpg", "image/jpeg", 10};
  expect_not_built(build_file_message(kTo, bad), "RCSMessage.fileMessage.thumbnailUrl: empty");

  FileMessage with_replies = m;
  with_replies.suggestions.push_back(Reply{"Thanks", "thanks"});
  auto r = build_file_message(kTo, with_replies);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(json::parse(r.value()).at("RCSMessage").as_object().contains("suggestedChipList"));
}

TEST(RcsMessage, TypingAndStatus) {
  expect_not_built(build_typing("33611111111", Typing::active), "messageContact.userContact");
  auto t = build_typing("+33611111111", Typing::idle);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(
      t.value(),
      R"({"RCSMessage":{"isTyping":"idle"},"messageContact":{"userContact":"+33611111111"}})");
  EXPECT_EQ(build_revoke(), R"({"RCSMessage":{"status":"cancelled"}})");
  EXPECT_EQ(build_displayed(), R"({"RCSMessage":{"status":"displayed"}})");
}

}  // namespace
}  // namespace passerelle::rcs
