#pragma once
// The platform's answers to the bot's requests (tests/peers/rcs/README.md, "The API" and
// "Where the sources disagree"; fixtures/responses/). Whether a call succeeded is decided
// by its HTTP status alone (http_status.hpp); these parsers read what a 2xx body says, and
// what an error body says for the logs and the sender.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "rcs/codec/limits.hpp"
#include "rcs/codec/types.hpp"

namespace passerelle::rcs {

// POST .../messages answered 202 (or 200, 201):
//   {"RCSMessage": {"msgId", "status": "pending", "timestamp"}}
// a typing indication's answer has no status; GET .../messages/{msgId}/status answers the
// same shape with the current status. An empty body (some platforms answer a send with
// 204) gives an empty answer: the bot knows the msgId it chose.
struct MessageAnswer {
  std::string msg_id;                    // "" when the body had none
  std::optional<DeliveryStatus> status;  // nullopt when absent or a word we do not know
  std::string status_word;               // as sent ("" when absent)
  std::string timestamp;                 // as sent
};
Result<MessageAnswer> parse_message_answer(std::string_view body, const Limits& limits = {});

// GET .../contactCapabilities answered 200: {"capabilities": ["chat", "fileTransfer", ...]}.
// Unknown features are kept; duplicates are dropped.
struct Capabilities {
  std::vector<std::string> features;  // as sent, in order
  bool has(std::string_view feature) const;
  bool chat() const { return has("chat"); }
  bool file_transfer() const { return has("fileTransfer"); }
  bool geolocation_push() const { return has("geolocationPush"); }
  bool chatbot() const { return has("chatBotCommunication"); }
};
Result<Capabilities> parse_capabilities(std::string_view body, const Limits& limits = {});

// POST .../files, in every documented form:
//   201 {"file": {"fileId", "fileUrl", "fileSize", "status", "validity"}}   (+ Location)
//   202 {"fileId": "..."}          the file object follows in a fileStatus event
// and, for a platform that answers with a Location header only, an empty body: the file id
// is the last segment of `location` (".../files/{fileId}", percent-decoded).
struct UploadAnswer {
  std::string file_id;
  std::optional<FileObject> file;  // present with the first form
};
Result<UploadAnswer> parse_upload_answer(std::string_view body, std::string_view location = {},
                                         const Limits& limits = {});

// GET .../files/{fileId} answered 200: {"file": {...}}.
Result<FileObject> parse_file_info(std::string_view body, const Limits& limits = {});

// POST {root}/oauth2/v1/token answered 200:
//   {"access_token", "token_type": "Bearer", "expires_in", "refresh_token", "scope"}
struct Token {
  std::string access_token;
  std::string token_type;                   // "Bearer" when absent
  std::optional<std::uint64_t> expires_in;  // seconds
  std::string refresh_token;                // "" for none
  std::string scope;
};
Result<Token> parse_token_answer(std::string_view body, const Limits& limits = {});

// An error answer's body, in whichever form it came (never fails: the status decides):
//   {"error": {"code", "message", "status"}}          dotgo (json)
//   {"error": {"code", "reason": {"text"}, "status"}}  Jio (reason)
//   text, or nothing                                  others (plain, empty)
// A JSON body of another shape is kept as plain text.
struct ErrorBody {
  enum class Form : std::uint8_t { json_message, json_reason, plain, empty };
  Form form = Form::empty;
  int code = 0;        // error.code, 0 when absent
  std::string status;  // error.status ("Bad Request", "NOT_FOUND"), "" when absent
  // error.message, error.reason.text or the text: one line, control characters as spaces,
  // at most Limits::max_error_text bytes (cut on a UTF-8 boundary); "" when empty.
  std::string message;
};
ErrorBody parse_error_body(std::string_view body, const Limits& limits = {});
const char* error_form_name(ErrorBody::Form f);  // "json", "reason", "plain", "empty"

}  // namespace passerelle::rcs
