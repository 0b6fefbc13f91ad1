#pragma once
// MSNP numeric errors: a server answers a command with "NNN trid" instead of the verb
// (e.g. "217 3" to "CAL 3 bob@example.com": bob is offline). Names follow the MSNP draft
// (ERR_...) and the MSNPiki / NINA wiki error list; the reasons are ours, written for the
// person whose message or login failed.

#include <optional>

#include "core/result.hpp"

namespace passerelle::msn {

// How the session and the router should treat an error.
enum class ErrorKind {
  account,    // the account itself cannot be used as configured: wrong password,
              // unverified, banned, already online elsewhere. Stop and tell the owner.
  request,    // this request or message failed for a reason tied to it (recipient
              // offline or unknown, list full, bad name): tell the sender, do not retry.
  transient,  // the server is busy, going down or rate-limiting: retry with backoff.
};

struct ErrorInfo {
  int code = 0;
  const char* name = "";    // "ERR_NOT_ONLINE"
  const char* reason = "";  // one line a user can act on
  ErrorKind kind = ErrorKind::request;
};

// The entry for `code`; nullopt for a code not in the table. Unknown 2xx..4xx codes are
// best treated as request errors and 5xx..9xx as transient (see classify()).
std::optional<ErrorInfo> find_error(int code);
ErrorKind classify(int code);

// The Error (core/result.hpp) for a numeric error: not_found / not_allowed / invalid_input
// for request errors, unavailable (retryable) for transient ones, not_allowed for account
// errors; protocol_status is the code.
Error to_error(int code);

const char* error_kind_name(ErrorKind k);

}  // namespace passerelle::msn
