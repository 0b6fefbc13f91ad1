// The codec held to the MaaP test server's fixtures (tests/peers/rcs/fixtures, index.json):
// what the connector sends is produced by the codec, what it receives is accepted. Each
// fixture has one decision below, and index.json may not list a fixture without one.
//
//   bytes          the codec's body is the fixture itself once written compactly (members
//                  in the fixture's order, no whitespace)
//   bytes_nonull   the same once the fixture's null members are removed (null is absent
//                  for the platform; the codec never writes null)
//   json_equal     equal as JSON (the fixture's decimals are written by Boost.JSON in
//                  exponent form, so the text differs)
//   form_fields    multipart or form-urlencoded fields equal to the fixture's
//   accepted       a platform answer or event: parses, with the fixture's values
//   not_produced   a request the connector does not send (yet); see the reason

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "fixture_util.hpp"
#include "rcs/codec/answers.hpp"
#include "rcs/codec/events.hpp"
#include "rcs/codec/message.hpp"
#include "rcs/codec/time.hpp"
#include "rcs/codec/upload.hpp"

namespace passerelle::rcs {
namespace {

using test::compact;
using test::fixture_json;
using test::read_fixture;
using test::strip_nulls;
namespace json = boost::json;

enum class Check { bytes, bytes_nonull, json_equal, form_fields, accepted, not_produced };

const std::map<std::string, Check>& decisions() {
  static const std::map<std::string, Check> m = {
      {"requests/text.json", Check::bytes},
      {"requests/text_suggested_replies.json", Check::bytes_nonull},
      {"requests/text_suggested_actions_1.json", Check::json_equal},
      {"requests/text_suggested_actions_2.json", Check::bytes},
      {"requests/text_msgid_traffictype.json", Check::bytes},
      {"requests/file.json", Check::bytes},
      {"requests/file_url_only.json", Check::bytes},
      {"requests/file_sdk_nulls.json", Check::bytes_nonull},
      // Audio and location messages, rich cards and carousels are not sent by the bridge
      // yet; audio and location contents are read when a phone sends them (below).
      {"requests/audio.json", Check::not_produced},
      {"requests/geolocation.json", Check::not_produced},
      {"requests/richcard.json", Check::not_produced},
      {"requests/carousel.json", Check::not_produced},
      {"requests/typing_active.json", Check::bytes},
      {"requests/typing_idle.json", Check::bytes},
      {"requests/status_displayed.json", Check::bytes},
      {"requests/status_cancelled.json", Check::bytes},
      // coco's spelling: the codec writes "cancelled" (the platform takes both).
      {"requests/status_canceled.json", Check::not_produced},
      {"requests/upload_form.json", Check::form_fields},
      {"requests/upload_form_url.json", Check::form_fields},
      {"requests/token_request.json", Check::form_fields},
      {"events/message_text.json", Check::accepted},
      {"events/message_file.json", Check::accepted},
      {"events/isTyping.json", Check::accepted},
      {"events/messageStatus_sent.json", Check::accepted},
      {"events/messageStatus_delivered.json", Check::accepted},
      {"events/messageStatus_displayed.json", Check::accepted},
      {"events/messageStatus_failed.json", Check::accepted},
      {"events/fileStatus.json", Check::accepted},
      {"events/response_action.json", Check::accepted},
      {"events/response_reply.json", Check::accepted},
      {"events/alias.json", Check::accepted},
      {"events/newUser.json", Check::accepted},
      {"responses/send_accepted.json", Check::accepted},
      {"responses/status.json", Check::accepted},
      {"responses/capabilities.json", Check::accepted},
      {"responses/error_message.json", Check::accepted},
      {"responses/error_reason.json", Check::accepted},
      {"responses/token.json", Check::accepted},
      {"responses/file.json", Check::accepted},
      {"responses/file_accepted.json", Check::accepted},
  };
  return m;
}

TEST(RcsFixtures, EveryIndexedFixtureHasADecision) {
  const json::value index = fixture_json("index.json");
  std::set<std::string> listed;
  for (const auto& f : index.at("fixtures").as_array()) {
    const std::string file(f.at("file").as_string());
    listed.insert(file);
    EXPECT_TRUE(decisions().count(file)) << file << " is in index.json but not decided here";
    EXPECT_FALSE(read_fixture(file).empty()) << file;
    const std::string dir(f.at("direction").as_string());
    if (auto it = decisions().find(file); it != decisions().end()) {
      // Requests are produced (or not); events and responses are accepted.
      EXPECT_EQ(dir == "request", it->second != Check::accepted) << file;
    }
  }
  for (const auto& [file, check] : decisions()) {
    EXPECT_TRUE(listed.count(file)) << file << " is decided here but not in index.json";
  }
}

// --- Produced: requests ----------------------------------------------------------------------

void expect_bytes(const Result<std::string>& built, const std::string& fixture, bool nonull) {
  ASSERT_TRUE(built.ok()) << built.error().message;
  json::value want = fixture_json(fixture);
  if (nonull) {
    EXPECT_NE(compact(want), compact(strip_nulls(want))) << fixture << " has no null to remove";
    want = strip_nulls(want);
  }
  EXPECT_EQ(built.value(), compact(want)) << fixture;
}

TEST(RcsFixtures, Text) {
  expect_bytes(build_text_message({"+14251234567"}, {"hello world"}), "requests/text.json", false);
}

TEST(RcsFixtures, TextWithSuggestedReplies) {
  TextMessage m{"What language do you prefer?",
                {Reply{"English", "Language_en"}, Reply{"日本語", "Language_jp"}}};
  expect_bytes(build_text_message({"+18055551234"}, m), "requests/text_suggested_replies.json",
               true);
}

TEST(RcsFixtures, TextWithSuggestedActions1) {
  TextMessage m{"Pick an action", {}};
  m.suggestions.push_back(Reply{"Yes", "set_by_chatbot_reply_yes"});
  m.suggestions.push_back(Action{"Open website or deep link", "set_by_chatbot_open_url",
                                 OpenUrl{"https://www.google.com"}});
  m.suggestions.push_back(
      Action{"Call a phone number", "set_by_chatbot_dial_phone_number", DialPhone{"+1650253000"}});
  m.suggestions.push_back(
      Action{"Start enriched call", "set_by_chatbot_dial_enriched_call",
             DialEnrichedCall{"+1650253000", "The optional subject for the enriched call"}});
  m.suggestions.push_back(
      Action{"Start video call", "set_by_chatbot_dial_video_call", DialVideoCall{"+1650253000"}});
  m.suggestions.push_back(Action{"Request a geo location", "set_by_chatbot_request_location_push",
                                 RequestLocationPush{}});
  ShowLocation where;
  where.latitude = 37.4220041;
  where.longitude = -122.0862515;
  where.label = "Googleplex";
  where.fallback_url = "https://www.google.com/maps/@37.4219162,-122.078063,15z";
  m.suggestions.push_back(Action{"Show location on a map", "set_by_chatbot_show_location", where});
  ShowLocation search;
  search.query = "restaurants";
  search.fallback_url = "https://www.google.com/maps/search/restaurants";
  m.suggestions.push_back(
      Action{"Search location(s) on map", "set_by_chatbot_search_locations", search});
  auto built = build_text_message({"+14251234567"}, m);
  ASSERT_TRUE(built.ok()) << built.error().message;
  const json::value want = fixture_json("requests/text_suggested_actions_1.json");
  EXPECT_TRUE(test::json_equal(json::parse(built.value()), want)) << built.value();
  // Members are in the fixture's order too: the body is the fixture as Boost.JSON writes it,
  // decimals in exponent form ("3.74220041E1" for the fixture's 37.4220041).
  EXPECT_EQ(built.value(), compact(want));
  EXPECT_NE(built.value().find("3.74220041E1"), std::string::npos);
}

TEST(RcsFixtures, TextWithSuggestedActions2) {
  TextMessage m{"More actions", {}};
  m.suggestions.push_back(Action{"Schedule Meeting", "set_by_chatbot_create_calendar_event",
                                 CreateCalendarEvent{"2017-03-14T00:00:00Z", "2017-03-14T23:59:59Z",
                                                     "Meeting", "GSG review meeting"}});
  m.suggestions.push_back(
      Action{"Draft a text message", "set_by_chatbot_compose_text_message",
             ComposeTextMessage{"+1650253000", "Draft to go into the send message text field."}});
  m.suggestions.push_back(Action{"Record audio or video",
                                 "set_by_chatbot_compose_recording_message",
                                 ComposeRecordingMessage{"+1650253000", "VIDEO"}});
  m.suggestions.push_back(Action{"Request device specifics",
                                 "set_by_chatbot_request_device_specifics",
                                 RequestDeviceSpecifics{}});
  m.suggestions.push_back(Action{"Share your phone number", "set_by_chatbot_disable_anonymization",
                                 DisableAnonymization{}});
  m.suggestions.push_back(Action{"Send read receipts",
                                 "set_by_chatbot_enable_displayed_notifications",
                                 EnableDisplayedNotifications{}});
  expect_bytes(build_text_message({"+14251234567"}, m), "requests/text_suggested_actions_2.json",
               false);
}

TEST(RcsFixtures, TextWithMsgIdAndTrafficType) {
  Envelope env{"+918919525224", "1233333333333333", "subscription"};
  expect_bytes(build_text_message(env, {"RCS Message from MOBtexting Platform with Image Now"}),
               "requests/text_msgid_traffictype.json", false);
}

TEST(RcsFixtures, FileWithThumbnail) {
  FileMessage m;
  m.file = {"https://s3-us-west-2.amazonaws.com/maap-coco/coco-full.jpg", "coco-full.jpg",
            "image/jpeg", 330575};
  m.thumbnail = FileRef{"https://s3-us-west-2.amazonaws.com/maap-coco/coco.jpg", "coco.jpg",
                        "image/jpeg", 11041};
  expect_bytes(build_file_message({"+14251234567"}, m), "requests/file.json", false);
}

TEST(RcsFixtures, FileUrlOnly) {
  FileMessage m;
  m.file.url = "https://konnect.kirusa.com/uploads/rcsTemplates/InstaVoice.png";
  expect_bytes(build_file_message({"+14251234567"}, m), "requests/file_url_only.json", false);
}

TEST(RcsFixtures, FileSdkNullsIsTheUrlOnlyForm) {
  FileMessage m;
  m.file.url = "https://www.example.com/files/f.jpg";
  expect_bytes(build_file_message({"+14251234567"}, m), "requests/file_sdk_nulls.json", true);
}

TEST(RcsFixtures, Typing) {
  expect_bytes(build_typing("+914253136789", Typing::active), "requests/typing_active.json", false);
  expect_bytes(build_typing("+914253136789", Typing::idle), "requests/typing_idle.json", false);
}

TEST(RcsFixtures, StatusUpdates) {
  EXPECT_EQ(build_displayed(), compact(fixture_json("requests/status_displayed.json")));
  EXPECT_EQ(build_revoke(), compact(fixture_json("requests/status_cancelled.json")));
  // Not produced, but the word means the same where the codec reads statuses.
  const json::value canceled = fixture_json("requests/status_canceled.json");
  EXPECT_EQ(parse_delivery_status(canceled.at("RCSMessage").at("status").as_string()),
            DeliveryStatus::cancelled);
}

// "--b\r\nContent-Disposition: form-data; name=\"x\"...\r\n\r\nvalue\r\n" parts -> fields;
// the file part (with a filename) is reported apart.
struct Form {
  std::map<std::string, std::string> fields;
  std::string file_field;
};

Form split_multipart(const std::string& body, const std::string& boundary) {
  Form f;
  const std::string delim = "--" + boundary;
  std::size_t pos = 0;
  while ((pos = body.find(delim, pos)) != std::string::npos) {
    pos += delim.size();
    if (body.compare(pos, 2, "--") == 0) break;
    const auto head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) break;
    const std::string head = body.substr(pos, head_end - pos);
    const auto n = head.find("name=\"");
    const std::string name = head.substr(n + 6, head.find('"', n + 6) - n - 6);
    const auto value_start = head_end + 4;
    auto next = body.find("\r\n" + delim, value_start);
    if (next == std::string::npos) next = body.size();
    if (head.find("filename=") != std::string::npos) {
      f.file_field = name;
    } else {
      f.fields[name] = body.substr(value_start, next - value_start);
    }
    pos = next;
  }
  return f;
}

std::map<std::string, std::string> fixture_fields(const json::value& fx) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : fx.at("fields").as_object()) out[k] = std::string(v.as_string());
  return out;
}

TEST(RcsFixtures, UploadForm) {
  const json::value fx = fixture_json("requests/upload_form.json");
  UploadForm form{"image/jpeg", "2017-10-03T22:31:00.597Z", "photo.jpg", ""};
  auto up = build_upload(form, "pAsSeReLlE-0123456789");
  ASSERT_TRUE(up.ok()) << up.error().message;
  const Form got = split_multipart(up->head + "FILE-BYTES" + up->tail, "pAsSeReLlE-0123456789");
  EXPECT_EQ(got.fields, fixture_fields(fx));
  EXPECT_EQ(got.file_field, std::string(fx.at("file_field").as_string()));
}

TEST(RcsFixtures, UploadFormByUrl) {
  const json::value fx = fixture_json("requests/upload_form_url.json");
  auto want = fixture_fields(fx);
  ASSERT_EQ(want["fileUrl"], "{LOOPBACK_URL}");
  want["fileUrl"] = "http://127.0.0.1:8000/f.jpg";  // the placeholder the server's tests fill
  UploadForm form{"image/jpeg", "2017-10-03T22:31:00.597Z", "", "http://127.0.0.1:8000/f.jpg"};
  auto up = build_upload(form, "b0undary");
  ASSERT_TRUE(up.ok()) << up.error().message;
  const Form got = split_multipart(up->head + up->tail, "b0undary");
  EXPECT_EQ(got.fields, want);
  EXPECT_EQ(got.file_field, "");
  EXPECT_EQ(up->content_length(0), up->head.size() + up->tail.size());
}

TEST(RcsFixtures, TokenRequest) {
  std::map<std::string, std::string> want;
  const json::value fx = fixture_json("requests/token_request.json");
  for (const auto& [k, v] : fx.as_object()) {
    want[k] = std::string(v.as_string());
  }
  std::map<std::string, std::string> got;
  const std::string body = build_token_request("botmessage");
  std::size_t start = 0;
  while (start <= body.size()) {
    auto amp = body.find('&', start);
    if (amp == std::string::npos) amp = body.size();
    const std::string pair = body.substr(start, amp - start);
    const auto eq = pair.find('=');
    got[pair.substr(0, eq)] = pair.substr(eq + 1);
    start = amp + 1;
  }
  EXPECT_EQ(got, want);
}

// --- Accepted: webhook events ----------------------------------------------------------------

template <typename T>
T event_of(const std::string& fixture) {
  auto ev = parse_event(read_fixture(fixture));
  EXPECT_TRUE(ev.ok()) << fixture << ": " << (ev.ok() ? "" : ev.error().message);
  if (!ev.ok()) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(ev.value())) << fixture;
  if (!std::holds_alternative<T>(ev.value())) return T{};
  return std::get<T>(ev.value());
}

TEST(RcsFixtures, EventMessageText) {
  const auto t = event_of<InboundText>("events/message_text.json");
  EXPECT_EQ(t.text, "hello world");
  EXPECT_EQ(t.msg_id, "Xs8CI3tdf");
  EXPECT_EQ(t.contact.number, "+14251234567");
  EXPECT_EQ(t.contact.chat_id, "");
  EXPECT_EQ(t.timestamp, "2017-09-26T01:33:20.315Z");
  ASSERT_TRUE(parse_timestamp(t.timestamp));
  EXPECT_EQ(format_timestamp(*parse_timestamp(t.timestamp)), t.timestamp);
}

TEST(RcsFixtures, EventMessageFile) {
  const auto f = event_of<InboundFile>("events/message_file.json");
  EXPECT_EQ(f.file,
            (FileRef{"https://maap-example.com/file.jpeg", "holiday.jpg", "image/jpeg", 330575}));
  EXPECT_FALSE(f.audio);
  EXPECT_FALSE(f.thumbnail);
  EXPECT_EQ(f.msg_id, "Ws9DJ4ueg");
}

TEST(RcsFixtures, EventTyping) {
  const auto t = event_of<TypingEvent>("events/isTyping.json");
  EXPECT_EQ(t.state, Typing::active);
  EXPECT_EQ(t.contact.number, "+14251234567");
}

TEST(RcsFixtures, EventMessageStatus) {
  const std::pair<const char*, DeliveryStatus> cases[] = {
      {"events/messageStatus_sent.json", DeliveryStatus::sent},
      {"events/messageStatus_delivered.json", DeliveryStatus::delivered},
      {"events/messageStatus_displayed.json", DeliveryStatus::displayed},
      {"events/messageStatus_failed.json", DeliveryStatus::failed},
  };
  for (const auto& [file, want] : cases) {
    const auto s = event_of<StatusEvent>(file);
    EXPECT_EQ(s.status, want) << file;
    EXPECT_EQ(s.msg_id, "MzJmajlmamVzZGZ8bmk5MHNlbmRmZTAz") << file;
    EXPECT_EQ(s.reason, "") << file;
  }
}

TEST(RcsFixtures, EventFileStatus) {
  const auto f = event_of<FileStatusEvent>("events/fileStatus.json");
  EXPECT_EQ(f.file,
            (FileObject{"MzJmajlmamVzZGZ8bmk5MHNlbmRmZTAz", "http://www.example.com/files/f.jpg",
                        123456, "ready", "2017-10-03T22:31:00.597Z"}));
  EXPECT_TRUE(f.file.ready());
}

TEST(RcsFixtures, EventResponses) {
  const auto a = event_of<SuggestionResponse>("events/response_action.json");
  EXPECT_TRUE(a.action);
  EXPECT_EQ(a.display_text, "Visit Website");
  EXPECT_EQ(a.postback, "set_by_chatbot_reply_yes");
  const auto r = event_of<SuggestionResponse>("events/response_reply.json");
  EXPECT_FALSE(r.action);
  EXPECT_EQ(r.display_text, "Yes");
  EXPECT_EQ(r.contact.number, "+918919525224");
  const auto n = event_of<NewUser>("events/newUser.json");
  EXPECT_EQ(n.postback, "new_bot_user_initiation");
  EXPECT_EQ(n.display_text, "Start Chat");
}

TEST(RcsFixtures, EventAlias) {
  const auto a = event_of<Alias>("events/alias.json");
  EXPECT_EQ(a.contact, (Contact{"+14251234567", "93JF93SEIJFE"}));
}

// The request fixtures' audio and location contents, as a phone would send them.
TEST(RcsFixtures, AudioAndLocationContentsFromAPhone) {
  for (const char* fixture : {"requests/audio.json", "requests/geolocation.json"}) {
    json::object ev = fixture_json(fixture).as_object();
    ev["RCSMessage"].as_object()["msgId"] = "phone-1";
    ev["event"] = "message";
    auto parsed = parse_event(json::serialize(ev));
    ASSERT_TRUE(parsed.ok()) << fixture << ": " << parsed.error().message;
    if (auto* f = std::get_if<InboundFile>(&parsed.value())) {
      EXPECT_TRUE(f->audio);
      EXPECT_EQ(f->file, (FileRef{"https://www.example.com/files/hello.amr", "hello.amr",
                                  "audio/amr", 12345}));
      EXPECT_EQ(f->playing_length, 7u);
    } else {
      auto* l = std::get_if<InboundLocation>(&parsed.value());
      ASSERT_NE(l, nullptr) << fixture;
      EXPECT_DOUBLE_EQ(l->latitude, 26.1181289);
      EXPECT_DOUBLE_EQ(l->longitude, -80.1283921);
      EXPECT_EQ(l->label, "Office");
      EXPECT_EQ(l->radius, 10.0);
    }
  }
}

// --- Accepted: answers -----------------------------------------------------------------------

TEST(RcsFixtures, SendAcceptedAndStatus) {
  auto a = parse_message_answer(read_fixture("responses/send_accepted.json"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->msg_id, "6cd095cd-62f6-4338-bba2-4b1db98b0537");
  EXPECT_EQ(a->status, DeliveryStatus::pending);
  EXPECT_EQ(a->timestamp, "2020-07-01T10:47:26.701Z");
  auto s = parse_message_answer(read_fixture("responses/status.json"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->status, DeliveryStatus::sent);
  EXPECT_EQ(s->msg_id, "ddc24c2-cff5-48ac-baaa-4f286bc28061");
  // Neither fraction nor zone: UTC.
  ASSERT_TRUE(parse_timestamp(s->timestamp));
  EXPECT_EQ(format_timestamp(*parse_timestamp(s->timestamp)), "2020-11-10T11:06:26.000Z");
}

TEST(RcsFixtures, Capabilities) {
  auto c = parse_capabilities(read_fixture("responses/capabilities.json"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->features,
            (std::vector<std::string>{"chatBotCommunication", "chat", "fileTransfer"}));
  EXPECT_TRUE(c->chat());
  EXPECT_TRUE(c->file_transfer());
  EXPECT_TRUE(c->chatbot());
  EXPECT_FALSE(c->geolocation_push());
}

TEST(RcsFixtures, ErrorBodies) {
  const ErrorBody m = parse_error_body(read_fixture("responses/error_message.json"));
  EXPECT_EQ(m.form, ErrorBody::Form::json_message);
  EXPECT_EQ(m.code, 400);
  EXPECT_EQ(m.status, "Bad Request");
  EXPECT_EQ(m.message, "Please provide valid JSON data");
  const ErrorBody r = parse_error_body(read_fixture("responses/error_reason.json"));
  EXPECT_EQ(r.form, ErrorBody::Form::json_reason);
  EXPECT_EQ(r.code, 404);
  EXPECT_EQ(r.status, "NOT_FOUND");
  EXPECT_EQ(r.message.rfind("The user contact or chat ID cannot be found", 0), 0u) << r.message;
}

TEST(RcsFixtures, Token) {
  auto t = parse_token_answer(read_fixture("responses/token.json"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->access_token, "9QxTf4fYTQmCudtB_NapjbduWJEf_AnlGDoZQUSgCd4");
  EXPECT_EQ(t->token_type, "Bearer");
  EXPECT_EQ(t->expires_in, 3600u);
  EXPECT_EQ(t->refresh_token, "Cv0Rjp8PzmYhnLZs0mK2q1Ebq5ai9bH1wQFVwJ2Hs6A");
  EXPECT_EQ(t->scope, "botmessage");
}

TEST(RcsFixtures, UploadAnswers) {
  const FileObject want{"MzJmajlmamVzZGZ8bmk5MHNlbmRmZTAz", "http://www.example.com/files/f.jpg",
                        123456, "ready", "2017-10-03T22:31:00.597Z"};
  auto created = parse_upload_answer(read_fixture("responses/file.json"));
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->file_id, want.file_id);
  EXPECT_EQ(created->file, want);
  auto info = parse_file_info(read_fixture("responses/file.json"));
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info.value(), want);
  auto accepted = parse_upload_answer(read_fixture("responses/file_accepted.json"));
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  EXPECT_EQ(accepted->file_id, want.file_id);
  EXPECT_FALSE(accepted->file);
}

}  // namespace
}  // namespace passerelle::rcs
