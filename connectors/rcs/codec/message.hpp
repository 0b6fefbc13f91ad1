#pragma once
// Bodies of the bot's requests (POST .../messages, PUT .../messages/{msgId}/status), as
// compact JSON. Shapes: tests/peers/rcs/README.md and its fixtures/requests/, from the Node
// SDK (pvangool/rcs-maap-bot), dotgo's and Jio's MaaP documentation:
//
//   {"RCSMessage":{"textMessage":"hello world","suggestedChipList":{"suggestions":[...]},
//                  "trafficType":"...","msgId":"01J..."},
//    "messageContact":{"userContact":"+14251234567"}}
//   {"RCSMessage":{"fileMessage":{"fileName":..,"fileUrl":..,"fileMIMEType":..,"fileSize":..}},
//   ...}
//   {"RCSMessage":{"isTyping":"active"},"messageContact":{...}}
//   {"RCSMessage":{"status":"cancelled"}}     revoke a sent message
//   {"RCSMessage":{"status":"displayed"}}     mark a received message read
//
// Every builder checks what the platform would refuse with 400 (and what would make
// invalid JSON: text that is not UTF-8) and returns an invalid_input Error naming the
// field instead. Members left empty are not written; nothing is written as null.

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "rcs/codec/limits.hpp"
#include "rcs/codec/types.hpp"

namespace passerelle::rcs {

// --- Suggestions (suggestedChipList; FNW.11 suggested replies and actions) ----------------
// A tapped suggestion comes back as a "response" event with its displayText and postback.

struct Reply {
  std::string display_text;  // 1 to 25 characters
  std::string postback;      // postback.data, "" for none (at most 2048 characters)
};

// The actions the Node SDK documents, one per struct; an Action carries exactly one.
struct OpenUrl {  // urlAction.openUrl
  std::string url;
};
struct DialPhone {           // dialerAction.dialPhoneNumber
  std::string phone_number;  // E.164
};
struct DialEnrichedCall {  // dialerAction.dialEnrichedCall
  std::string phone_number;
  std::string subject;  // "" for none
};
struct DialVideoCall {  // dialerAction.dialVideoCall
  std::string phone_number;
};
struct RequestLocationPush {};  // mapAction.requestLocationPush
struct ShowLocation {           // mapAction.showLocation
  // Either coordinates (with an optional label) or a search query.
  std::optional<double> latitude;
  std::optional<double> longitude;
  std::string label;
  std::string query;
  std::string fallback_url;  // "" for none
};
struct CreateCalendarEvent {  // calendarAction.createCalendarEvent
  std::string start_time;     // ISO 8601
  std::string end_time;
  std::string title;
  std::string description;  // "" for none
};
struct ComposeTextMessage {  // composeAction.composeTextMessage
  std::string phone_number;
  std::string text;
};
struct ComposeRecordingMessage {  // composeAction.composeRecordingMessage
  std::string phone_number;
  std::string type;  // "AUDIO" or "VIDEO"
};
struct RequestDeviceSpecifics {};        // deviceAction.requestDeviceSpecifics
struct DisableAnonymization {};          // settingsAction.disableAnonymization
struct EnableDisplayedNotifications {};  // settingsAction.enableDisplayedNotifications

using ActionKind =
    std::variant<OpenUrl, DialPhone, DialEnrichedCall, DialVideoCall, RequestLocationPush,
                 ShowLocation, CreateCalendarEvent, ComposeTextMessage, ComposeRecordingMessage,
                 RequestDeviceSpecifics, DisableAnonymization, EnableDisplayedNotifications>;

struct Action {
  std::string display_text;  // 1 to 25 characters
  std::string postback;      // "" for none
  ActionKind what;
};

using Suggestion = std::variant<Reply, Action>;

// --- Messages ------------------------------------------------------------------------------

struct Envelope {
  std::string to;  // the phone, E.164
  // RCSMessage.msgId, chosen by the bridge (1 to 128 bytes, no control characters). The
  // connector always sets one: a retry after a timeout is then answered as the same message
  // and never delivered twice. "" lets the platform choose.
  std::string msg_id;
  std::string traffic_type;  // RCSMessage.trafficType ("advertisement", ...), "" for none
};

struct TextMessage {
  std::string text;  // UTF-8, 1 to Limits::max_text bytes
  std::vector<Suggestion> suggestions;
};

// A file the platform can fetch: normally the fileUrl of an upload answer (upload.hpp),
// with the fileSize the platform reported. The platform checks the size of its own files.
struct FileMessage {
  FileRef file;                      // url required (http(s)); name, type, size optional
  std::optional<FileRef> thumbnail;  // thumbnailUrl, thumbnailFileName, ...
  std::vector<Suggestion> suggestions;
};

Result<std::string> build_text_message(const Envelope& env, const TextMessage& m,
                                       const Limits& limits = {});
Result<std::string> build_file_message(const Envelope& env, const FileMessage& m,
                                       const Limits& limits = {});
// isTyping to a phone (no msgId: the platform answers it like a message, it gets no status).
Result<std::string> build_typing(std::string_view to, Typing state, const Limits& limits = {});

// PUT .../messages/{msgId}/status bodies. The revoke is written "cancelled" (Node SDK,
// dotgo); the test platform also takes coco's "canceled", which we never send.
std::string build_revoke();
std::string build_displayed();

}  // namespace passerelle::rcs
