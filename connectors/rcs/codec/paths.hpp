#pragma once
// Request targets of the MaaP chatbot API (tests/peers/rcs/README.md, "The API"):
//
//   POST {api}/{botId}/messages                       send (text, file, typing)
//   GET  {api}/{botId}/messages/{msgId}/status        a message's state
//   PUT  {api}/{botId}/messages/{msgId}/status        revoke ("cancelled") or read ("displayed")
//   GET  {api}/{botId}/contactCapabilities?userContact=%2B14251234567
//   POST {api}/{botId}/files                          upload (multipart/form-data)
//   GET / DELETE {api}/{botId}/files/{fileId}
//   POST {root}/oauth2/v1/token                       bearer tokens (client credentials)
//
// {api} is the path of the platform's API URL: "{root}/bot/v1", e.g. "/bot/v1" or
// "/rcs/bot/v1". Ids chosen by the platform or the configuration go into one path segment
// each, percent-encoded (RFC 3986 §2.1): every byte but the unreserved set
// A-Z a-z 0-9 - . _ ~ is escaped, so '/', '+', '%', '?' and non-ASCII never change the path.

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "rcs/codec/limits.hpp"

namespace passerelle::rcs {

// Percent-encodes one path segment or query value (upper-case hex over the bytes).
std::string escape_component(std::string_view bytes);

class ApiPaths {
 public:
  // api_path: the path of the API URL, starting with '/', without query or fragment (a
  // trailing '/' is dropped); bot_id: the bot as configured (1 to max_string bytes).
  static Result<ApiPaths> make(std::string_view api_path, std::string_view bot_id,
                               const Limits& limits = {});

  std::string messages() const;  // {api}/{bot}/messages
  // {api}/{bot}/messages/{msgId}/status; the id must be 1 to max_string bytes.
  Result<std::string> message_status(std::string_view msg_id) const;
  // {api}/{bot}/contactCapabilities?userContact={E.164, '+' escaped}; the number is checked.
  Result<std::string> capabilities(std::string_view e164) const;
  std::string files() const;                                 // {api}/{bot}/files
  Result<std::string> file(std::string_view file_id) const;  // {api}/{bot}/files/{fileId}

  const std::string& bot_base() const { return base_; }  // {api}/{bot}

 private:
  ApiPaths(std::string base, const Limits& limits) : base_(std::move(base)), limits_(limits) {}
  Result<std::string> with_id(std::string_view prefix, std::string_view id, std::string_view suffix,
                              std::string_view what) const;

  std::string base_;
  Limits limits_;
};

// {root}/oauth2/v1/token, root being the path before "/bot/v1" ("" or "/rcs"). The root
// is checked as ApiPaths::make checks api_path (an empty root is allowed).
Result<std::string> token_path(std::string_view root);

}  // namespace passerelle::rcs
