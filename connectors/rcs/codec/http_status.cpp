#include "rcs/codec/http_status.hpp"

#include <string>

namespace passerelle::rcs {

const char* call_name(Call c) {
  switch (c) {
    case Call::send:
      return "send";
    case Call::typing:
      return "typing";
    case Call::revoke:
      return "revoke";
    case Call::mark_displayed:
      return "mark_displayed";
    case Call::message_status:
      return "message_status";
    case Call::capabilities:
      return "capabilities";
    case Call::upload:
      return "upload";
    case Call::file_info:
      return "file_info";
    case Call::file_delete:
      return "file_delete";
    case Call::token:
      return "token";
  }
  return "call";
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::ok:
      return "ok";
    case Outcome::not_rcs_capable:
      return "not_rcs_capable";
    case Outcome::too_late:
      return "too_late";
    case Outcome::retryable:
      return "retryable";
    case Outcome::unauthorized:
      return "unauthorized";
    case Outcome::permanent:
      return "permanent";
  }
  return "permanent";
}

Outcome classify(Call call, int status) {
  if (status >= 200 && status <= 299) return Outcome::ok;
  if (status == kNoAnswer || status == 408 || status == 429 || (status >= 500 && status <= 599)) {
    return Outcome::retryable;
  }
  if (status == 404) {
    switch (call) {
      case Call::capabilities:
      case Call::send:
      case Call::typing:
        return Outcome::not_rcs_capable;
      case Call::revoke:
        return Outcome::too_late;
      default:
        return Outcome::permanent;
    }
  }
  // A 401 from the token endpoint itself means wrong credentials: asking again cannot help.
  if (status == 401 && call != Call::token) return Outcome::unauthorized;
  return Outcome::permanent;
}

Error to_error(Call call, int status, const ErrorBody& body) {
  std::string detail = status == kNoAnswer ? "no answer" : "HTTP " + std::to_string(status);
  if (!body.message.empty()) detail += ": " + body.message;
  auto make = [&](Errc code, std::string words, bool retryable) {
    return Error{code, std::move(words) + " (" + detail + ")", retryable, status};
  };
  switch (classify(call, status)) {
    case Outcome::ok:
      return make(Errc::internal, std::string("the RCS platform accepted the ") + call_name(call),
                  false);
    case Outcome::not_rcs_capable:
      return make(Errc::not_found, "the number has no RCS on this carrier's platform", false);
    case Outcome::too_late:
      return make(Errc::not_found, "the message was already delivered and cannot be revoked",
                  false);
    case Outcome::retryable:
      return make(Errc::unavailable, "the RCS platform is unavailable; will retry", true);
    case Outcome::unauthorized:
      return make(Errc::not_allowed, "the RCS platform refused the bridge's token", false);
    case Outcome::permanent:
      break;
  }
  switch (status) {
    case 400:
    case 415:
    case 422:
      return make(Errc::invalid_input, "the RCS platform refused the request", false);
    case 401:
      return make(Errc::not_allowed, "the RCS platform refused the bot's credentials", false);
    case 403:
      return make(Errc::not_allowed, "the RCS platform does not allow this bot to do that", false);
    case 404:
      return make(Errc::not_found, "the RCS platform does not know that message or file", false);
    case 409:
      return make(Errc::invalid_input, "the RCS platform has another message with that id", false);
    case 413:
      return make(Errc::limit_exceeded, "too large for the RCS platform", false);
    default:
      return make(Errc::internal, "unexpected answer from the RCS platform", false);
  }
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.empty() || v.size() > 12) return std::nullopt;
  std::int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  constexpr std::int64_t kDay = 24 * 3600;
  return std::chrono::seconds(n < kDay ? n : kDay);
}

}  // namespace passerelle::rcs
