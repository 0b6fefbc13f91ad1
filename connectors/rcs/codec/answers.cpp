#include "rcs/codec/answers.hpp"

#include <algorithm>

#include "core/percent.hpp"
#include "core/utf8.hpp"
#include "rcs/codec/json_read.hpp"

namespace passerelle::rcs {

namespace {

namespace json = boost::json;
using detail::Reader;

bool blank(std::string_view body) {
  return body.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

FileObject read_file_object(Reader& r, const json::object& o, std::string_view path) {
  FileObject f;
  f.file_id = r.id(o, path, "fileId", true);
  f.file_url = r.url(o, path, "fileUrl", false);
  f.file_size = r.count(o, path, "fileSize", false);
  f.status = r.string(o, path, "status", r.limits().max_string, false);
  f.validity = r.string(o, path, "validity", r.limits().max_string, false);
  return f;
}

}  // namespace

Result<MessageAnswer> parse_message_answer(std::string_view body, const Limits& limits) {
  if (body.size() <= limits.max_body && blank(body)) return MessageAnswer{};
  auto doc = detail::parse_object(body, limits, "message answer");
  if (!doc) return doc.error();
  Reader r("message answer", limits);
  MessageAnswer a;
  if (const json::object* m = r.object(doc.value(), "", "RCSMessage", true)) {
    a.msg_id = r.id(*m, "RCSMessage", "msgId", false);
    a.status_word = r.string(*m, "RCSMessage", "status", limits.max_string, false);
    a.status = parse_delivery_status(a.status_word);
    a.timestamp = r.string(*m, "RCSMessage", "timestamp", limits.max_string, false);
  }
  if (!r.ok()) return r.error();
  return a;
}

bool Capabilities::has(std::string_view feature) const {
  return std::find(features.begin(), features.end(), feature) != features.end();
}

Result<Capabilities> parse_capabilities(std::string_view body, const Limits& limits) {
  auto doc = detail::parse_object(body, limits, "capability answer");
  if (!doc) return doc.error();
  Reader r("capability answer", limits);
  Capabilities caps;
  if (!doc.value().contains("capabilities")) {
    r.fail("", "capabilities", "missing");
    return r.error();
  }
  // null: no features.
  if (const json::array* list = r.array(doc.value(), "", "capabilities", false)) {
    if (list->size() > limits.max_capabilities) {
      r.fail_limit("", "capabilities",
                   std::to_string(list->size()) + " entries, over the limit of " +
                       std::to_string(limits.max_capabilities));
    }
    for (std::size_t i = 0; i < list->size() && r.ok(); ++i) {
      const json::value& v = (*list)[i];
      const std::string where = "capabilities[" + std::to_string(i) + "]";
      if (!v.is_string()) {
        r.fail("", where, std::string("expected a string, got ") + detail::kind_name(v));
      } else if (v.as_string().size() > limits.max_string || v.as_string().empty()) {
        r.fail("", where, "empty or over " + std::to_string(limits.max_string) + " bytes");
      } else {
        std::string f(v.as_string());
        if (!caps.has(f)) caps.features.push_back(std::move(f));
      }
    }
  }
  if (!r.ok()) return r.error();
  return caps;
}

Result<UploadAnswer> parse_upload_answer(std::string_view body, std::string_view location,
                                         const Limits& limits) {
  if (body.size() <= limits.max_body && blank(body)) {
    // No body: the id is the last segment of the Location (".../files/{fileId}").
    std::string_view loc = location.substr(0, location.find_first_of("?#"));
    const auto files = loc.rfind("/files/");
    if (files == std::string_view::npos || files + 7 >= loc.size() ||
        loc.find('/', files + 7) != std::string_view::npos) {
      return detail::shape_error("upload answer",
                                 "no body, and no Location naming .../files/{fileId}");
    }
    std::string id = percent_decode_lenient(loc.substr(files + 7));
    const bool controls = std::any_of(id.begin(), id.end(), [](char ch) {
      const auto c = static_cast<unsigned char>(ch);
      return c < 0x20 || c == 0x7f;
    });
    if (id.size() > limits.max_string || controls || !is_valid_utf8(id)) {
      return detail::shape_error("upload answer", "Location: not a usable file id");
    }
    return UploadAnswer{std::move(id), std::nullopt};
  }
  auto doc = detail::parse_object(body, limits, "upload answer");
  if (!doc) return doc.error();
  Reader r("upload answer", limits);
  UploadAnswer a;
  if (const json::object* f = r.object(doc.value(), "", "file", false)) {
    a.file = read_file_object(r, *f, "file");
    a.file_id = a.file->file_id;
  } else if (r.ok()) {
    if (Reader::find(doc.value(), "fileId") == nullptr) {
      return detail::shape_error("upload answer",
                                 "expected {\"file\": {...}} or {\"fileId\": ...}");
    }
    a.file_id = r.id(doc.value(), "", "fileId", true);
  }
  if (!r.ok()) return r.error();
  return a;
}

Result<FileObject> parse_file_info(std::string_view body, const Limits& limits) {
  auto doc = detail::parse_object(body, limits, "file answer");
  if (!doc) return doc.error();
  Reader r("file answer", limits);
  FileObject f;
  if (const json::object* o = r.object(doc.value(), "", "file", true)) {
    f = read_file_object(r, *o, "file");
  }
  if (!r.ok()) return r.error();
  return f;
}

Result<Token> parse_token_answer(std::string_view body, const Limits& limits) {
  auto doc = detail::parse_object(body, limits, "token answer");
  if (!doc) return doc.error();
  Reader r("token answer", limits);
  const json::object& o = doc.value();
  Token t;
  // Tokens may be JWTs: up to max_url bytes.
  t.access_token = r.string(o, "", "access_token", limits.max_url, true);
  t.token_type = r.string(o, "", "token_type", limits.max_string, false);
  if (t.token_type.empty()) t.token_type = "Bearer";
  t.expires_in = r.count(o, "", "expires_in", false);
  t.refresh_token = r.string(o, "", "refresh_token", limits.max_url, false);
  t.scope = r.string(o, "", "scope", limits.max_string, false);
  if (!r.ok()) return r.error();
  // Both go into an Authorization header ("Bearer <token>"): visible ASCII only.
  auto visible = [](const std::string& v) {
    return std::all_of(v.begin(), v.end(), [](char ch) {
      const auto c = static_cast<unsigned char>(ch);
      return c > 0x20 && c < 0x7f;
    });
  };
  if (!visible(t.access_token) || !visible(t.token_type)) {
    return detail::shape_error("token answer",
                               "access_token and token_type must be visible ASCII without spaces");
  }
  return t;
}

ErrorBody parse_error_body(std::string_view body, const Limits& limits) {
  ErrorBody e;
  if (body.size() <= limits.max_body && blank(body)) return e;
  if (auto doc = detail::parse_object(body, limits, "error body")) {
    const json::value* err = Reader::find(doc.value(), "error");
    if (err != nullptr && err->is_object()) {
      const json::object& o = err->as_object();
      const json::value* code = Reader::find(o, "code");
      if (code != nullptr && code->is_int64() && code->get_int64() > 0 &&
          code->get_int64() < 1000000) {
        e.code = static_cast<int>(code->get_int64());
      } else if (code != nullptr && code->is_string()) {
        // Some platforms quote it ("404").
        const json::string& s = code->as_string();
        int v = 0;
        bool digits = !s.empty() && s.size() <= 6;
        for (char c : s) {
          if (c < '0' || c > '9') digits = false;
          if (digits) v = v * 10 + (c - '0');
        }
        if (digits) e.code = v;
      }
      if (const json::value* st = Reader::find(o, "status"); st != nullptr && st->is_string()) {
        e.status = detail::one_line(st->as_string(), limits.max_string);
      }
      const json::value* msg = Reader::find(o, "message");
      const json::value* reason = Reader::find(o, "reason");
      if (msg != nullptr && msg->is_string()) {
        e.form = ErrorBody::Form::json_message;
        e.message = detail::one_line(msg->as_string(), limits.max_error_text);
        return e;
      }
      if (reason != nullptr) {
        const json::value* text =
            reason->is_object() ? Reader::find(reason->as_object(), "text") : reason;
        if (text != nullptr && text->is_string()) {
          e.form = ErrorBody::Form::json_reason;
          e.message = detail::one_line(text->as_string(), limits.max_error_text);
          return e;
        }
      }
      if (e.code != 0 || !e.status.empty()) {
        // {"error": {"code", "status"}} without words: the status words are the message.
        e.form = ErrorBody::Form::json_message;
        e.message = detail::one_line(e.status, limits.max_error_text);
        return e;
      }
    }
  }
  e = ErrorBody{};
  e.form = ErrorBody::Form::plain;
  e.message = detail::one_line(body.substr(0, limits.max_error_text * 4), limits.max_error_text);
  if (e.message.empty()) e.form = ErrorBody::Form::empty;
  return e;
}

const char* error_form_name(ErrorBody::Form f) {
  switch (f) {
    case ErrorBody::Form::json_message:
      return "json";
    case ErrorBody::Form::json_reason:
      return "reason";
    case ErrorBody::Form::plain:
      return "plain";
    case ErrorBody::Form::empty:
      return "empty";
  }
  return "empty";
}

}  // namespace passerelle::rcs
