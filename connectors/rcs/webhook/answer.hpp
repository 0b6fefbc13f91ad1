#pragma once
// What the webhook answers, as data (sans-IO): the status, the JSON body and whether the
// platform is told to retry. The platform only looks at the status (tests/peers/rcs/
// README.md: 2xx delivered, anything else retried); the body is for whoever reads its logs.

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace passerelle::rcs {

struct Reply {
  int status = 200;
  std::string body = "{}";   // application/json, one line
  bool retry_after = false;  // Retry-After: 1
  std::string reason;        // for the log: "" for a 200
};

// {"error":"<message>"}: the message on one line, JSON-escaped, invalid UTF-8 replaced.
std::string json_error_body(std::string_view message);

// A refusal by the server itself (gate.hpp, malformed HTTP, a body over the limit, ...).
// 503 carries Retry-After.
Reply refusal(int status, std::string reason);

// parse_event failed: its protocol_status (400, or 413 for a limit), 400 when it has none.
Reply parse_failure(const Error& error);

// The connector's verdict given to `done`: ok 200, retryable 503, anything else 400.
Reply verdict_reply(const Status& verdict);

}  // namespace passerelle::rcs
