#pragma once
// Webhook events: what the MaaP platform POSTs to the bot (tests/peers/rcs/README.md,
// "Webhooks"; fixtures/events/, from the Node SDK's sample payloads, Jio and the Korean
// MaaP front end). Every event but fileStatus is
//
//   {"RCSMessage": {"msgId", "timestamp", <content>}, "messageContact": {"userContact"},
//    "event": "message" | "isTyping" | "messageStatus" | "response" | "newUser" | "alias"}
//
// and fileStatus is {"file": {...}, "event": "fileStatus"}. Members set to null are
// absent. An event type we do not know is an UnknownEvent (answer it 2xx and drop it), not
// an error; malformed JSON or a known event of the wrong shape is an invalid_input Error
// naming the field, with protocol_status 400 (413 with limit_exceeded for a body or a
// field over its limit): the status the webhook answers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.hpp"
#include "rcs/codec/limits.hpp"
#include "rcs/codec/types.hpp"

namespace passerelle::rcs {

struct EventMeta {
  std::string msg_id;     // RCSMessage.msgId: the phone's message, or the bot's for a status
  Contact contact;        // messageContact: at least one of number, chat_id
  std::string timestamp;  // RCSMessage.timestamp as sent, "" when absent (time.hpp reads it)
};

// "message" with textMessage.
struct InboundText : EventMeta {
  std::string text;  // UTF-8, at most Limits::max_text bytes
};

// "message" with fileMessage (or audioMessage): a file the phone sent, served by the
// platform at file.url (send the bot's token along: some platforms require it).
struct InboundFile : EventMeta {
  FileRef file;  // url always set; fileMIMEType (or fileMimeType) in mime_type
  std::optional<FileRef> thumbnail;
  bool audio = false;                           // audioMessage (a voice note)
  std::optional<std::uint64_t> playing_length;  // audioMessage.playingLength, seconds
};

// "message" with geolocationPushMessage: pos is "latitude longitude" (decimal degrees).
struct InboundLocation : EventMeta {
  double latitude = 0;
  double longitude = 0;
  std::string label;             // "" when none
  std::optional<double> radius;  // metres
};

// "response": the phone tapped one of the bot's suggestions.
struct SuggestionResponse : EventMeta {
  bool action = false;       // a suggested action (else a reply)
  std::string display_text;  // what the chip said
  std::string postback;      // postback.data, "" when none
};

// "newUser": the phone opened the conversation with the bot (postback
// "new_bot_user_initiation").
struct NewUser : EventMeta {
  std::string display_text;
  std::string postback;
};

// "alias": the number behind a chatId (both in contact).
struct Alias : EventMeta {};

// "messageStatus" for one of the bot's messages (msg_id): sent, delivered, displayed,
// failed (pending and cancelled are read too).
struct StatusEvent : EventMeta {
  std::optional<DeliveryStatus> status;  // nullopt for a word we do not know
  std::string status_word;               // as sent
  // Why it failed, when the platform says: RCSMessage.reason (a string, or {"text"} as in
  // Jio's error bodies) or RCSMessage.error ({"message"} or a string). No source documents
  // a reason in this event; "" when none.
  std::string reason;
};

// "isTyping" from the phone.
struct TypingEvent : EventMeta {
  Typing state = Typing::idle;
};

// "fileStatus": an upload of the bot's is ready (or not).
struct FileStatusEvent {
  FileObject file;
};

// Any other "event": kept with what could be read of its id and contact.
struct UnknownEvent {
  std::string event;  // the type, as sent
  EventMeta meta;     // best effort: empty members where absent or malformed
};

using Event = std::variant<InboundText, InboundFile, InboundLocation, SuggestionResponse, NewUser,
                           Alias, StatusEvent, TypingEvent, FileStatusEvent, UnknownEvent>;

Result<Event> parse_event(std::string_view body, const Limits& limits = {});

// "message", "messageStatus", ... (the event type; "message" for the three message kinds).
std::string_view event_type(const Event& e);

// --- Webhook requests ------------------------------------------------------------------------

// The webhook's Authorization header against the configured shared secret, compared
// verbatim (coco's SDK; no source documents a signature) in time independent of where they
// differ.
bool authorization_matches(std::string_view header, std::string_view expected);

// application/json (any case, with or without parameters) or a "+json" media type.
bool is_json_content_type(std::string_view content_type);

}  // namespace passerelle::rcs
