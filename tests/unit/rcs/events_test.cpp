// Webhook events beyond the fixtures: nulls, unknown types, malformed bodies and wrong
// shapes (each error names the field), limits, and the webhook request checks.

#include "rcs/codec/events.hpp"

#include <gtest/gtest.h>

#include "fixture_util.hpp"

namespace passerelle::rcs {
namespace {

namespace json = boost::json;

// A message event from `number` with `rcs_extra` members in RCSMessage.
std::string event_json(std::string_view event, std::string_view rcs_members,
                       std::string_view contact = R"("userContact":"+14251234567")") {
  std::string s = R"({"RCSMessage":{"msgId":"m1","timestamp":"2017-09-26T01:33:20.315Z")";
  if (!rcs_members.empty()) {
    s += ",";
    s += rcs_members;
  }
  s += R"(},"messageContact":{)";
  s += contact;
  s += R"(},"event":")";
  s += event;
  s += "\"}";
  return s;
}

// The error of a body that must be refused, naming `field`.
void expect_refused(const std::string& body, std::string_view field, int status = 400,
                    Limits limits = {}) {
  auto ev = parse_event(body, limits);
  ASSERT_FALSE(ev.ok()) << body;
  EXPECT_NE(ev.error().message.find(field), std::string::npos)
      << "'" << ev.error().message << "' does not name " << field;
  EXPECT_EQ(ev.error().protocol_status, status) << ev.error().message;
  EXPECT_EQ(ev.error().code, status == 413 ? Errc::limit_exceeded : Errc::invalid_input);
  EXPECT_FALSE(ev.error().retryable);
}

TEST(RcsEvents, NullMembersAreAbsent) {
  auto ev = parse_event(
      R"({"RCSMessage":{"msgId":"m1","textMessage":"hi","fileMessage":null,"timestamp":null},
          "messageContact":{"userContact":"+14251234567","chatId":null},"event":"message"})");
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  const auto& t = std::get<InboundText>(ev.value());
  EXPECT_EQ(t.text, "hi");
  EXPECT_EQ(t.timestamp, "");
  EXPECT_EQ(t.contact.chat_id, "");

  auto file = parse_event(
      event_json("message", R"("fileMessage":{"fileUrl":"https://x.example/f","fileName":null,
                    "fileMIMEType":null,"fileSize":null,"thumbnailUrl":null})"));
  ASSERT_TRUE(file.ok()) << file.error().message;
  const auto& f = std::get<InboundFile>(file.value());
  EXPECT_EQ(f.file, (FileRef{"https://x.example/f", "", "", std::nullopt}));
  EXPECT_FALSE(f.thumbnail);
}

TEST(RcsEvents, FileWithThumbnailAndCamelCaseMimeType) {
  auto ev = parse_event(event_json(
      "message", R"("fileMessage":{"fileUrl":"https://x.example/f.mp4","fileMimeType":"video/mp4",
                    "fileSize":104857600,"thumbnailUrl":"https://x.example/t.jpg",
                    "thumbnailMIMEType":"image/jpeg","thumbnailFileSize":2000})"));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  const auto& f = std::get<InboundFile>(ev.value());
  EXPECT_EQ(f.file.mime_type, "video/mp4");
  EXPECT_EQ(f.file.size, 104857600u);
  ASSERT_TRUE(f.thumbnail);
  EXPECT_EQ(*f.thumbnail, (FileRef{"https://x.example/t.jpg", "", "image/jpeg", 2000}));
}

TEST(RcsEvents, UnknownTypesAreTypedNotErrors) {
  auto ev = parse_event(event_json("chatbotMenuOpened", R"("foo":[1,2,3])"));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  const auto& u = std::get<UnknownEvent>(ev.value());
  EXPECT_EQ(u.event, "chatbotMenuOpened");
  EXPECT_EQ(u.meta.msg_id, "m1");
  EXPECT_EQ(u.meta.contact.number, "+14251234567");
  EXPECT_EQ(event_type(ev.value()), "chatbotMenuOpened");

  // Nothing else has to make sense in an unknown event.
  auto odd = parse_event(R"({"event":"somethingNew","RCSMessage":7,"messageContact":"x"})");
  ASSERT_TRUE(odd.ok()) << odd.error().message;
  EXPECT_EQ(std::get<UnknownEvent>(odd.value()).meta.msg_id, "");
}

TEST(RcsEvents, MalformedJsonIsRefused) {
  expect_refused("", "empty body");
  expect_refused("  \r\n", "empty body");
  expect_refused("{", "malformed JSON");
  expect_refused(R"({"event":"message",})", "malformed JSON");  // trailing comma
  expect_refused(R"({"event":"message"} {})", "malformed JSON");
  expect_refused(R"({"event":"message" /* c */})", "malformed JSON");
  expect_refused("{\"event\":\"mess\xff\"}", "malformed JSON");  // not UTF-8
  expect_refused("[]", "JSON object");
  expect_refused("\"message\"", "JSON object");
  expect_refused("null", "JSON object");
}

TEST(RcsEvents, EveryTruncationOfEveryEventFixtureIsRefused) {
  const char* fixtures[] = {
      "events/message_text.json",       "events/message_file.json", "events/isTyping.json",
      "events/messageStatus_sent.json", "events/fileStatus.json",   "events/response_action.json",
      "events/response_reply.json",     "events/alias.json",        "events/newUser.json"};
  for (const char* name : fixtures) {
    const std::string body = test::read_fixture(name);
    ASSERT_TRUE(parse_event(body).ok()) << name;
    const std::size_t end = body.find_last_not_of(" \r\n") + 1;
    for (std::size_t n = 0; n < end; ++n) {
      auto ev = parse_event(std::string_view(body).substr(0, n));
      ASSERT_FALSE(ev.ok()) << name << " cut at " << n;
      EXPECT_EQ(ev.error().protocol_status, 400);
    }
  }
}

TEST(RcsEvents, MissingOrBadEventType) {
  expect_refused(R"({"RCSMessage":{"msgId":"m"},"messageContact":{"userContact":"+14251234567"}})",
                 "event: missing");
  expect_refused(R"({"event":7})", "event: expected a string, got a number");
  expect_refused(R"({"event":""})", "event: empty");
  expect_refused(R"({"event":null})", "event: missing");
}

TEST(RcsEvents, WrongShapesNameTheField) {
  expect_refused(R"({"messageContact":{"userContact":"+14251234567"},"event":"message"})",
                 "RCSMessage: missing");
  expect_refused(
      R"({"RCSMessage":"hi","messageContact":{"userContact":"+14251234567"},"event":"message"})",
      "RCSMessage: expected an object, got a string");
  expect_refused(
      R"({"RCSMessage":{"msgId":42,"textMessage":"x"},"messageContact":{"userContact":"+14251234567"},"event":"message"})",
      "RCSMessage.msgId: expected a string, got a number");
  expect_refused(
      R"({"RCSMessage":{"textMessage":"x"},"messageContact":{"userContact":"+14251234567"},"event":"message"})",
      "RCSMessage.msgId: missing");
  expect_refused(
      R"({"RCSMessage":{"msgId":"m\u0001","textMessage":"x"},"messageContact":{"userContact":"+14251234567"},"event":"message"})",
      "RCSMessage.msgId: control character");
  expect_refused(R"({"RCSMessage":{"msgId":"m","textMessage":"x"},"event":"message"})",
                 "messageContact: missing");
  expect_refused(event_json("message", R"("textMessage":"x")", ""),
                 "messageContact: needs userContact or chatId");
  expect_refused(event_json("message", R"("textMessage":"x")", R"("userContact":"0611111111")"),
                 "messageContact.userContact");
  expect_refused(
      event_json("message", R"("textMessage":"x")", R"("userContact":"tel:+14251234567")"),
      "E.164");
  expect_refused(
      event_json("message", R"("textMessage":"x")", R"("userContact":"+1 425 123 4567")"), "E.164");
  expect_refused(event_json("message", R"("textMessage":"x")", R"("userContact":14251234567)"),
                 "messageContact.userContact: expected a string");
  expect_refused(event_json("message", R"("textMessage":"x")", R"("chatId":{})"),
                 "messageContact.chatId: expected a string");
  expect_refused(event_json("message", R"("textMessage":5)"),
                 "RCSMessage.textMessage: expected a string, got a number");
  expect_refused(event_json("message", ""), "RCSMessage: a message needs one of");
  expect_refused(
      event_json("message", R"("textMessage":"x","fileMessage":{"fileUrl":"https://a/b"})"),
      "RCSMessage: a message carries only one");
  expect_refused(event_json("message", R"("fileMessage":{"fileName":"a.jpg"})"),
                 "RCSMessage.fileMessage.fileUrl: missing");
  expect_refused(event_json("message", R"("fileMessage":"https://a/b")"),
                 "RCSMessage.fileMessage: expected an object");
  expect_refused(event_json("message", R"("fileMessage":{"fileUrl":"ftp://a/b"})"),
                 "RCSMessage.fileMessage.fileUrl: 'ftp://a/b' is not an http(s) URL");
  expect_refused(event_json("message", R"("fileMessage":{"fileUrl":"https://a/b","fileSize":-1})"),
                 "RCSMessage.fileMessage.fileSize: negative");
  expect_refused(
      event_json("message", R"("fileMessage":{"fileUrl":"https://a/b","fileSize":"12"})"),
      "RCSMessage.fileMessage.fileSize: expected a non-negative integer, got a string");
  expect_refused(event_json("message", R"("fileMessage":{"fileUrl":"https://a/b","fileSize":1.5})"),
                 "RCSMessage.fileMessage.fileSize: expected a non-negative integer");
  expect_refused(
      event_json("message", R"("fileMessage":{"fileUrl":"https://a/b","thumbnailUrl":"x"})"),
      "RCSMessage.fileMessage.thumbnailUrl");
  expect_refused(
      event_json("message", R"("audioMessage":{"fileUrl":"https://a/b","playingLength":"7s"})"),
      "RCSMessage.audioMessage.playingLength");
  expect_refused(event_json("message", R"("geolocationPushMessage":{"label":"x"})"),
                 "RCSMessage.geolocationPushMessage.pos: missing");
  expect_refused(event_json("message", R"("geolocationPushMessage":{"pos":"north"})"),
                 "RCSMessage.geolocationPushMessage.pos");
  expect_refused(event_json("message", R"("geolocationPushMessage":{"pos":"+-1 10"})"),
                 "RCSMessage.geolocationPushMessage.pos");
  expect_refused(event_json("message", R"("geolocationPushMessage":{"pos":"1,,10"})"),
                 "RCSMessage.geolocationPushMessage.pos");
  expect_refused(event_json("message", R"("geolocationPushMessage":{"pos":"91 10"})"),
                 "RCSMessage.geolocationPushMessage.pos");
  expect_refused(event_json("message", R"("geolocationPushMessage":{"pos":"10 20","radius":-3})"),
                 "RCSMessage.geolocationPushMessage.radius");
  expect_refused(event_json("isTyping", R"("isTyping":"maybe")"),
                 "RCSMessage.isTyping: 'maybe' is neither active nor idle");
  expect_refused(event_json("isTyping", ""), "RCSMessage.isTyping: missing");
  expect_refused(event_json("messageStatus", ""), "RCSMessage.status: missing");
  expect_refused(event_json("response", ""), "RCSMessage.suggestedResponse: missing");
  expect_refused(event_json("response", R"("suggestedResponse":{"response":{}})"),
                 "RCSMessage.suggestedResponse.response: needs exactly one of reply, action");
  expect_refused(
      event_json(
          "response",
          R"("suggestedResponse":{"response":{"reply":{"displayText":"a"},"action":{"displayText":"b"}}})"),
      "needs exactly one of reply, action");
  expect_refused(
      event_json("newUser",
                 R"("suggestedResponse":{"response":{"reply":{"postback":{"data":"x"}}}})"),
      "RCSMessage.suggestedResponse.response.reply.displayText: missing");
  expect_refused(
      event_json(
          "response",
          R"("suggestedResponse":{"response":{"action":{"displayText":"a","postback":{"data":3}}}})"),
      "RCSMessage.suggestedResponse.response.action.postback.data");
  expect_refused(event_json("alias", ""), "messageContact: an alias names both");
  expect_refused(R"({"event":"fileStatus"})", "file: missing");
  expect_refused(R"({"event":"fileStatus","file":{"fileUrl":"https://a/b","status":"ready"}})",
                 "file.fileId: missing");
  expect_refused(R"({"event":"fileStatus","file":{"fileId":"f","status":"ready","fileSize":true}})",
                 "file.fileSize: expected a non-negative integer, got a boolean");
}

TEST(RcsEvents, ChatIdOnlyContact) {
  auto ev =
      parse_event(event_json("message", R"("textMessage":"hi")", R"("chatId":"93JF93SEIJFE")"));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  const auto& t = std::get<InboundText>(ev.value());
  EXPECT_EQ(t.contact, (Contact{"", "93JF93SEIJFE"}));
}

TEST(RcsEvents, StatusWordsAndReasons) {
  auto ev = parse_event(event_json("messageStatus", R"("status":"canceled")"));
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(std::get<StatusEvent>(ev.value()).status, DeliveryStatus::cancelled);
  ev = parse_event(event_json("messageStatus", R"("status":"DELIVERED")"));
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(std::get<StatusEvent>(ev.value()).status, DeliveryStatus::delivered);
  ev = parse_event(event_json("messageStatus", R"("status":"Displayed")"));
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(std::get<StatusEvent>(ev.value()).status, DeliveryStatus::displayed);
  ev = parse_event(event_json("messageStatus", R"("status":"deliveredx")"));
  ASSERT_TRUE(ev.ok());
  EXPECT_FALSE(std::get<StatusEvent>(ev.value()).status);

  // A word we do not know is kept, not refused (the platform would retry for ever).
  ev = parse_event(event_json("messageStatus", R"("status":"read")"));
  ASSERT_TRUE(ev.ok());
  EXPECT_FALSE(std::get<StatusEvent>(ev.value()).status);
  EXPECT_EQ(std::get<StatusEvent>(ev.value()).status_word, "read");

  const std::pair<const char*, const char*> reasons[] = {
      {R"("status":"failed","reason":"subscriber unreachable")", "subscriber unreachable"},
      {R"("status":"failed","reason":{"text":"expired"})", "expired"},
      {R"("status":"failed","error":{"code":5,"message":"no RCS\nany more"})", "no RCS any more"},
      {R"("status":"failed","error":"blocked")", "blocked"},
      {R"("status":"failed","reason":42)", ""},
      {R"("status":"failed","reason":null)", ""},
  };
  for (const auto& [members, want] : reasons) {
    auto s = parse_event(event_json("messageStatus", members));
    ASSERT_TRUE(s.ok()) << members;
    EXPECT_EQ(std::get<StatusEvent>(s.value()).status, DeliveryStatus::failed);
    EXPECT_EQ(std::get<StatusEvent>(s.value()).reason, want) << members;
  }
}

TEST(RcsEvents, Location) {
  auto ev = parse_event(event_json(
      "message", R"("geolocationPushMessage":{"pos":"-33.8688,151.2093","label":"Sydney"})"));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  const auto& l = std::get<InboundLocation>(ev.value());
  EXPECT_DOUBLE_EQ(l.latitude, -33.8688);
  EXPECT_DOUBLE_EQ(l.longitude, 151.2093);
  EXPECT_FALSE(l.radius);
  EXPECT_EQ(event_type(ev.value()), "message");
}

TEST(RcsEvents, Limits) {
  Limits small;
  small.max_body = 100;
  expect_refused(event_json("message", R"("textMessage":"hello, this is a long one")"),
                 "over the limit of 100", 413, small);
  Limits text;
  text.max_text = 4;
  expect_refused(event_json("message", R"("textMessage":"hello")"),
                 "RCSMessage.textMessage: 5 bytes, over the limit of 4", 413, text);
  EXPECT_TRUE(parse_event(event_json("message", R"("textMessage":"hell")"), text).ok());
  Limits shallow;
  shallow.max_depth = 3;
  expect_refused(event_json("message", R"("textMessage":"x","extra":{"a":{"b":1}})"),
                 "nested deeper than 3", 400, shallow);
  std::string long_id(Limits{}.max_string + 1, 'a');
  expect_refused(event_json("message", R"("textMessage":"x")",
                            R"("userContact":"+14251234567","chatId":")" + long_id + "\""),
                 "messageContact.chatId", 413);
}

TEST(RcsEvents, DuplicateMembersKeepTheLast) {
  // Boost.JSON keeps the last of duplicate members; the codec reads that one.
  auto ev = parse_event(event_json("message", R"("textMessage":"first","textMessage":"second")"));
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(std::get<InboundText>(ev.value()).text, "second");
}

TEST(RcsEvents, TextIsKeptExactly) {
  auto ev = parse_event(
      event_json("message", R"("textMessage":"line 1\nline \"2\" \u00e9\ud83d\ude00")"));
  ASSERT_TRUE(ev.ok()) << ev.error().message;
  EXPECT_EQ(std::get<InboundText>(ev.value()).text, "line 1\nline \"2\" é😀");
  // A lone surrogate is not UTF-8: refused.
  expect_refused(event_json("message", R"("textMessage":"\ud83d")"), "malformed JSON");
}

TEST(RcsWebhook, Authorization) {
  EXPECT_TRUE(authorization_matches("Bearer s3cret", "Bearer s3cret"));
  EXPECT_FALSE(authorization_matches("Bearer s3cre", "Bearer s3cret"));
  EXPECT_FALSE(authorization_matches("Bearer s3cret ", "Bearer s3cret"));
  EXPECT_FALSE(authorization_matches("bearer s3cret", "Bearer s3cret"));
  EXPECT_FALSE(authorization_matches("", "Bearer s3cret"));
  EXPECT_FALSE(authorization_matches("", ""));  // no secret configured: nothing matches
}

TEST(RcsWebhook, ContentType) {
  EXPECT_TRUE(is_json_content_type("application/json"));
  EXPECT_TRUE(is_json_content_type("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(is_json_content_type("application/vnd.gsma.maap+json"));
  EXPECT_FALSE(is_json_content_type("text/plain"));
  EXPECT_FALSE(is_json_content_type("application/x-www-form-urlencoded"));
  EXPECT_FALSE(is_json_content_type("+json"));
  EXPECT_FALSE(is_json_content_type(""));
}

}  // namespace
}  // namespace passerelle::rcs
