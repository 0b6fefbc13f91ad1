#include "rcs/webhook/answer.hpp"

#include <cstdio>

#include "core/utf8.hpp"

namespace passerelle::rcs {

namespace {
constexpr std::size_t kMaxMessage = 512;  // bytes of the message kept in a body
}

std::string json_error_body(std::string_view message) {
  std::string out = "{\"error\":\"";
  std::size_t i = 0;
  while (i < message.size() && i < kMaxMessage) {
    char32_t cp = 0;
    const std::size_t at = i;
    if (!next_code_point(message, i, cp)) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    switch (cp) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
      case '\r':
      case '\t':
        out += ' ';  // one line
        break;
      default:
        if (cp < 0x20 || cp == 0x7f) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(cp));
          out += esc;
        } else {
          out.append(message.substr(at, i - at));
        }
    }
  }
  if (i < message.size()) out += "...";
  out += "\"}";
  return out;
}

Reply refusal(int status, std::string reason) {
  Reply r;
  r.status = status;
  r.body = json_error_body(reason);
  r.retry_after = status == 503;
  r.reason = std::move(reason);
  return r;
}

Reply parse_failure(const Error& error) {
  const int status =
      error.protocol_status >= 400 && error.protocol_status < 500 ? error.protocol_status : 400;
  return refusal(status, error.message);
}

Reply verdict_reply(const Status& verdict) {
  if (verdict.ok()) return Reply{};
  const Error& e = verdict.error();
  if (e.retryable) return refusal(503, e.message.empty() ? "not committed; retry" : e.message);
  return refusal(400, e.message.empty() ? "refused by the connector" : e.message);
}

}  // namespace passerelle::rcs
