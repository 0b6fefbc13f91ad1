#pragma once
// What an answer of the MaaP platform means, decided by its HTTP status alone: the sources
// disagree on error bodies (tests/peers/rcs/README.md, "Where the sources disagree" and
// "For the connector's author"), so the body only adds words.
//
//   2xx                          ok, whatever the body (200, 201, 202, 204)
//   404 on capabilities, send
//       or typing                not_rcs_capable: the number has no RCS on this platform
//                                (or is not its subscriber): serve it by SMS
//   404 on revoke                too_late: already delivered, failed or unknown; a revoke
//                                answered 2xx may also have had no effect (late_revoke
//                                "accept"): wait for the status before falling back
//   no answer (0), 408, 429, 5xx retryable with backoff (503 may carry Retry-After); a send
//                                retried with the same msgId is never delivered twice
//   401 (not on the token call)  unauthorized: get a new token, then retry once
//   anything else                permanent: 400 refused request, 403 wrong bot, 409 msgId
//                                reused for another body, 413 file over the limit, ...

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/result.hpp"
#include "rcs/codec/answers.hpp"

namespace passerelle::rcs {

// The status to pass when no HTTP answer came (connection refused or reset, TLS failure,
// timeout).
inline constexpr int kNoAnswer = 0;

enum class Call : std::uint8_t {
  send,            // POST .../messages (text, file)
  typing,          // POST .../messages (isTyping)
  revoke,          // PUT .../messages/{msgId}/status "cancelled"
  mark_displayed,  // PUT .../messages/{msgId}/status "displayed"
  message_status,  // GET .../messages/{msgId}/status
  capabilities,    // GET .../contactCapabilities
  upload,          // POST .../files
  file_info,       // GET .../files/{fileId}
  file_delete,     // DELETE .../files/{fileId}
  token,           // POST {root}/oauth2/v1/token
};
const char* call_name(Call c);

enum class Outcome : std::uint8_t {
  ok,
  not_rcs_capable,
  too_late,
  retryable,
  unauthorized,
  permanent
};
const char* outcome_name(Outcome o);

Outcome classify(Call call, int http_status);

// The Error (core/result.hpp) for a failed call, in words for the sender, with the body's
// message when it has one; protocol_status is the HTTP status (0: no answer).
//   not_rcs_capable -> not_found       too_late -> not_found
//   retryable -> unavailable (retryable)  unauthorized -> not_allowed
//   permanent -> invalid_input (400, 409, 415, 422), not_allowed (403), not_found (404),
//                limit_exceeded (413), internal (anything else)
Error to_error(Call call, int http_status, const ErrorBody& body = {});

// Retry-After as delta-seconds (RFC 9110 §10.2.3), capped at one day; nullopt for an
// HTTP-date or anything else (the caller then uses its own backoff).
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

}  // namespace passerelle::rcs
