// The platform's answers beyond the fixtures: empty and odd bodies, every upload form,
// every error body form, limits.

#include "rcs/codec/answers.hpp"

#include <gtest/gtest.h>

namespace passerelle::rcs {
namespace {

TEST(RcsAnswers, MessageAnswerForms) {
  auto empty = parse_message_answer("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->msg_id, "");
  EXPECT_FALSE(empty->status);

  // The answer to a typing indication has no status.
  auto typing =
      parse_message_answer(R"({"RCSMessage":{"msgId":"t1","timestamp":"2020-01-01T00:00:00Z"}})");
  ASSERT_TRUE(typing.ok());
  EXPECT_EQ(typing->msg_id, "t1");
  EXPECT_FALSE(typing->status);

  auto odd = parse_message_answer(R"({"RCSMessage":{"msgId":"x","status":"queued"}})");
  ASSERT_TRUE(odd.ok());
  EXPECT_FALSE(odd->status);
  EXPECT_EQ(odd->status_word, "queued");

  auto nulls = parse_message_answer(R"({"RCSMessage":{"msgId":null,"status":null}})");
  ASSERT_TRUE(nulls.ok());

  auto bad = parse_message_answer(R"({"status":"ok"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("RCSMessage: missing"), std::string::npos);
  bad = parse_message_answer(R"({"RCSMessage":{"msgId":["x"]}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("RCSMessage.msgId: expected a string, got an array"),
            std::string::npos);
  EXPECT_FALSE(parse_message_answer("ok").ok());
}

TEST(RcsAnswers, Capabilities) {
  auto dup = parse_capabilities(R"({"capabilities":["chat","chat","somethingNew"]})");
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->features, (std::vector<std::string>{"chat", "somethingNew"}));
  EXPECT_TRUE(dup->has("somethingNew"));

  auto none = parse_capabilities(R"({"capabilities":null})");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->features.empty());
  EXPECT_FALSE(none->chat());

  auto missing = parse_capabilities(R"({"features":["chat"]})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("capabilities: missing"), std::string::npos);

  auto wrong = parse_capabilities(R"({"capabilities":["chat",3]})");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("capabilities[1]: expected a string, got a number"),
            std::string::npos);

  auto not_list = parse_capabilities(R"({"capabilities":"chat"})");
  ASSERT_FALSE(not_list.ok());

  Limits few;
  few.max_capabilities = 2;
  auto many = parse_capabilities(R"({"capabilities":["a","b","c"]})", few);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().code, Errc::limit_exceeded);
}

TEST(RcsAnswers, UploadLocationOnly) {
  auto a = parse_upload_answer("", "http://127.0.0.1:4000/rcs/bot/v1/bot-a/files/abc%2Fdef?x=1");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->file_id, "abc/def");
  EXPECT_FALSE(a->file);

  a = parse_upload_answer("\r\n", "/bot/v1/bot-a/files/F1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->file_id, "F1");

  for (const char* loc : {"", "/bot/v1/bot-a/files/", "/bot/v1/bot-a/files", "/elsewhere/F1",
                          "/bot/v1/b/files/a/b", "/bot/v1/b/files/%00"}) {
    auto bad = parse_upload_answer("", loc);
    EXPECT_FALSE(bad.ok()) << loc;
  }
}

TEST(RcsAnswers, UploadBodies) {
  auto neither = parse_upload_answer(R"({"id":"x"})");
  ASSERT_FALSE(neither.ok());
  EXPECT_NE(neither.error().message.find("fileId"), std::string::npos);

  auto bad_id = parse_upload_answer(R"({"fileId":12})");
  ASSERT_FALSE(bad_id.ok());
  EXPECT_NE(bad_id.error().message.find("fileId: expected a string"), std::string::npos);

  auto no_id = parse_upload_answer(R"({"file":{"fileUrl":"https://a/b","status":"ready"}})");
  ASSERT_FALSE(no_id.ok());
  EXPECT_NE(no_id.error().message.find("file.fileId: missing"), std::string::npos);

  auto bad_url = parse_upload_answer(R"({"file":{"fileId":"f","fileUrl":"/content/f"}})");
  ASSERT_FALSE(bad_url.ok());
  EXPECT_NE(bad_url.error().message.find("file.fileUrl"), std::string::npos);

  // The body wins over the Location.
  auto both = parse_upload_answer(R"({"fileId":"body"})", "/bot/v1/b/files/header");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->file_id, "body");

  auto pending = parse_file_info(R"({"file":{"fileId":"f","status":"pending"}})");
  ASSERT_TRUE(pending.ok());
  EXPECT_FALSE(pending->ready());
  EXPECT_EQ(pending->file_url, "");
  EXPECT_FALSE(parse_file_info(R"({"fileId":"f"})").ok());
}

TEST(RcsAnswers, Token) {
  auto t = parse_token_answer(R"({"access_token":"abc.def-ghi"})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->token_type, "Bearer");
  EXPECT_FALSE(t->expires_in);
  EXPECT_FALSE(parse_token_answer(R"({"token":"abc"})").ok());
  EXPECT_FALSE(parse_token_answer(R"({"access_token":""})").ok());
  // It goes into a header: no spaces or line breaks.
  EXPECT_FALSE(parse_token_answer(R"({"access_token":"abc\r\nX-Evil: 1"})").ok());
  EXPECT_FALSE(parse_token_answer(R"({"access_token":"a b"})").ok());
  EXPECT_FALSE(parse_token_answer(R"({"access_token":"ab","expires_in":-5})").ok());
}

TEST(RcsAnswers, ErrorBodyForms) {
  ErrorBody e = parse_error_body("");
  EXPECT_EQ(e.form, ErrorBody::Form::empty);
  EXPECT_EQ(e.message, "");
  EXPECT_EQ(parse_error_body(" \r\n").form, ErrorBody::Form::empty);

  e = parse_error_body("Not Found\n");
  EXPECT_EQ(e.form, ErrorBody::Form::plain);
  EXPECT_EQ(e.message, "Not Found");

  e = parse_error_body("<html>\r\n<body>502 Bad\tGateway</body>\r\n</html>");
  EXPECT_EQ(e.form, ErrorBody::Form::plain);
  EXPECT_EQ(e.message, "<html> <body>502 Bad Gateway</body> </html>");

  // JSON of another shape is kept as text.
  e = parse_error_body(R"({"message":"nope"})");
  EXPECT_EQ(e.form, ErrorBody::Form::plain);
  EXPECT_EQ(e.message, R"({"message":"nope"})");

  e = parse_error_body(R"({"error":{"code":"404","status":"NOT_FOUND"}})");
  EXPECT_EQ(e.form, ErrorBody::Form::json_message);
  EXPECT_EQ(e.code, 404);
  EXPECT_EQ(e.message, "NOT_FOUND");

  e = parse_error_body(R"({"error":{"code":409,"reason":"msgId reused"}})");
  EXPECT_EQ(e.form, ErrorBody::Form::json_reason);
  EXPECT_EQ(e.message, "msgId reused");

  e = parse_error_body(R"({"error":{"code":1e3,"message":null,"reason":{"text":null}}})");
  EXPECT_EQ(e.form, ErrorBody::Form::plain);

  EXPECT_STREQ(error_form_name(ErrorBody::Form::json_reason), "reason");
}

TEST(RcsAnswers, ErrorBodyTextIsBoundedAndClean) {
  Limits lim;
  lim.max_error_text = 10;
  // Cut between code points: "ééééé" is 10 bytes, the sixth does not fit.
  ErrorBody e = parse_error_body("éééééé", lim);
  EXPECT_EQ(e.message, "ééééé");
  e = parse_error_body(
      "ab\xff\xfe"
      "cd\x01"
      "e",
      lim);
  EXPECT_EQ(e.message, "ab??cd e");
  // The status words stand for the message: bounded the same way.
  e = parse_error_body(R"({"error":{"status":"NOT_FOUND_AND_MORE"}})", lim);
  EXPECT_EQ(e.status, "NOT_FOUND_AND_MORE");
  EXPECT_EQ(e.message, "NOT_FOUND_");
  e = parse_error_body(std::string(1 << 20, 'x'));  // over max_body: still read as text
  EXPECT_EQ(e.form, ErrorBody::Form::plain);
  EXPECT_EQ(e.message.size(), Limits{}.max_error_text);
}

}  // namespace
}  // namespace passerelle::rcs
