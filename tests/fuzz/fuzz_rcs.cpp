// RCS (MaaP chatbot API) codec on arbitrary bytes: the webhook-event parser and the parsers
// of the platform's answers, chosen by the first byte; the rest is the body.
//   byte 0 % 8: 0 event, 1 message answer, 2 capabilities, 3 upload answer (body and
//               Location), 4 file info, 5 token, 6 error body, 7 small values (E.164,
//               timestamps, Retry-After, paths, escaping)
// Whatever parses must satisfy the codec's contracts (limits held, numbers E.164, http(s)
// URLs, one-line error text), and texts from a phone must go back out unchanged.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "core/utf8.hpp"
#include "rcs/codec/answers.hpp"
#include "rcs/codec/events.hpp"
#include "rcs/codec/http_status.hpp"
#include "rcs/codec/message.hpp"
#include "rcs/codec/paths.hpp"
#include "rcs/codec/phone.hpp"
#include "rcs/codec/time.hpp"

using namespace passerelle;
using namespace passerelle::rcs;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

Limits fuzz_limits() {
  Limits l;
  l.max_body = 8192;
  l.max_depth = 12;
  l.max_text = 1024;
  l.max_url = 512;
  l.max_string = 256;
  l.max_capabilities = 16;
  l.max_error_text = 128;
  return l;
}

bool is_http(std::string_view u) {
  std::string head(u.substr(0, 8));
  for (char& c : head) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return (head.rfind("http://", 0) == 0 && u.size() > 7) ||
         (head.rfind("https://", 0) == 0 && u.size() > 8);
}

void check_error(const Error& e) {
  check(!e.message.empty());
  check(e.protocol_status == 400 || e.protocol_status == 413);
  check((e.protocol_status == 413) == (e.code == Errc::limit_exceeded));
}

void check_timestamp(std::string_view ts) {
  if (auto t = parse_timestamp(ts)) {
    const auto days = std::chrono::floor<std::chrono::days>(*t);
    const int year = static_cast<int>(std::chrono::year_month_day{days}.year());
    if (year >= 0 && year <= 9999) {
      auto again = parse_timestamp(format_timestamp(*t));
      check(again && *again == *t);
    }
  }
}

void check_meta(const EventMeta& m, const Limits& lim) {
  check(!m.contact.number.empty() || !m.contact.chat_id.empty());
  if (!m.contact.number.empty()) {
    auto uc = user_contact_from_e164(m.contact.number);
    check(uc.ok() && uc.value() == m.contact.number);
  }
  check(!m.msg_id.empty() && m.msg_id.size() <= lim.max_string);
  check_timestamp(m.timestamp);
}

// A phone's text goes back out as the bot's text, and comes in again the same.
void echo_text(const std::string& text, const Limits& lim) {
  if (text.empty()) return;
  auto body = build_text_message({"+33611111111", "fz"}, {text}, lim);
  check(body.ok());
  std::string event = body.value();
  event.pop_back();
  event += ",\"event\":\"message\"}";
  auto back = parse_event(event, lim);
  check(back.ok());
  const auto* t = std::get_if<InboundText>(&back.value());
  check(t != nullptr && t->text == text && t->msg_id == "fz");
}

void exercise_event(std::string_view in, const Limits& lim) {
  auto ev = parse_event(in, lim);
  if (!ev.ok()) {
    check_error(ev.error());
    return;
  }
  check(!event_type(ev.value()).empty());
  if (const auto* t = std::get_if<InboundText>(&ev.value())) {
    check_meta(*t, lim);
    check(t->text.size() <= lim.max_text && is_valid_utf8(t->text));
    echo_text(t->text, lim);
  } else if (const auto* f = std::get_if<InboundFile>(&ev.value())) {
    check_meta(*f, lim);
    check(is_http(f->file.url) && f->file.url.size() <= lim.max_url);
    if (f->thumbnail) check(is_http(f->thumbnail->url));
  } else if (const auto* l = std::get_if<InboundLocation>(&ev.value())) {
    check_meta(*l, lim);
    check(l->latitude >= -90 && l->latitude <= 90 && l->longitude >= -180 && l->longitude <= 180);
  } else if (const auto* s = std::get_if<StatusEvent>(&ev.value())) {
    check_meta(*s, lim);
    if (s->status) check(parse_delivery_status(delivery_status_name(*s->status)) == s->status);
    check(s->reason.size() <= lim.max_error_text);
  } else if (const auto* r = std::get_if<SuggestionResponse>(&ev.value())) {
    check_meta(*r, lim);
    check(!r->display_text.empty());
  } else if (const auto* n = std::get_if<NewUser>(&ev.value())) {
    check_meta(*n, lim);
  } else if (const auto* a = std::get_if<Alias>(&ev.value())) {
    check_meta(*a, lim);
    check(!a->contact.number.empty() && !a->contact.chat_id.empty());
  } else if (const auto* ty = std::get_if<TypingEvent>(&ev.value())) {
    check_meta(*ty, lim);
  } else if (const auto* fs = std::get_if<FileStatusEvent>(&ev.value())) {
    check(!fs->file.file_id.empty() && !fs->file.status.empty());
  } else {
    check(!std::get<UnknownEvent>(ev.value()).event.empty());
  }
}

void exercise_small(std::string_view in) {
  if (auto n = e164_from_user_contact(in); n.ok()) {
    check(n.value() == in && user_contact_from_e164(in).ok());
  }
  const std::string esc = escape_component(in);
  std::string back;
  for (std::size_t i = 0; i < esc.size(); ++i) {
    if (esc[i] == '%') {
      check(i + 2 < esc.size());
      back += static_cast<char>(std::stoi(esc.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      check(esc[i] != '/' && esc[i] != '?' && esc[i] != '+' && esc[i] != '#');
      back += esc[i];
    }
  }
  check(back == in);
  check_timestamp(in);
  if (auto s = parse_retry_after(in)) check(s->count() >= 0 && s->count() <= 86400);
  if (auto p = ApiPaths::make(in, "bot")) {
    check(p->messages().rfind(p->bot_base(), 0) == 0);
    auto st = p->message_status(in);
    check(st.ok() == (!in.empty() && in.size() <= Limits{}.max_string));
  }
  check(authorization_matches(in, in) == !in.empty());
  (void)is_json_content_type(in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const Limits lim = fuzz_limits();
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 8) {
    case 0:
      exercise_event(in, lim);
      break;
    case 1:
      if (auto a = parse_message_answer(in, lim); a.ok()) {
        if (a->status) check(a->status == parse_delivery_status(a->status_word));
        check_timestamp(a->timestamp);
      } else {
        check_error(a.error());
      }
      break;
    case 2:
      if (auto c = parse_capabilities(in, lim); c.ok()) {
        check(c->features.size() <= lim.max_capabilities);
        for (const auto& f : c->features) check(!f.empty() && c->has(f));
      } else {
        check_error(c.error());
      }
      break;
    case 3:
      if (auto u = parse_upload_answer(in, in, lim); u.ok()) {
        check(u->file_id.size() <= lim.max_string);
        if (u->file) check(u->file->file_id == u->file_id && !u->file_id.empty());
      } else {
        check_error(u.error());
      }
      break;
    case 4:
      if (auto f = parse_file_info(in, lim); f.ok()) {
        check(!f->file_id.empty());
        check(f->file_url.empty() || is_http(f->file_url));
      } else {
        check_error(f.error());
      }
      break;
    case 5:
      if (auto t = parse_token_answer(in, lim); t.ok()) {
        check(!t->access_token.empty() && !t->token_type.empty());
      } else {
        check_error(t.error());
      }
      break;
    case 6: {
      const ErrorBody e = parse_error_body(in, lim);
      check(e.message.size() <= lim.max_error_text && is_valid_utf8(e.message));
      for (char c : e.message) check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
      if (e.form == ErrorBody::Form::empty) check(e.message.empty() && e.code == 0);
      if (e.form == ErrorBody::Form::plain) check(!e.message.empty());
      for (int status : {0, 200, 401, 404, 409, 429, 503}) {
        const Error err = to_error(Call::send, status, e);
        check(err.retryable == (classify(Call::send, status) == Outcome::retryable));
      }
      break;
    }
    default:
      exercise_small(in);
      break;
  }
  return 0;
}
