#include "rcs/codec/json_read.hpp"

#include "core/utf8.hpp"
#include "rcs/codec/phone.hpp"

namespace passerelle::rcs::detail {

Error shape_error(std::string_view what, std::string_view problem) {
  Error e = Error::invalid("rcs " + std::string(what) + ": " + std::string(problem));
  e.protocol_status = kBadRequest;
  return e;
}

Result<json::object> parse_object(std::string_view body, const Limits& limits,
                                  std::string_view what) {
  if (body.size() > limits.max_body) {
    Error e = Error::limit("rcs " + std::string(what) + ": body of " + std::to_string(body.size()) +
                           " bytes, over the limit of " + std::to_string(limits.max_body));
    e.protocol_status = kTooLarge;
    return e;
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return shape_error(what, "empty body, a JSON object is required");
  }
  json::parse_options opts;
  opts.max_depth = limits.max_depth;
  opts.allow_comments = false;
  opts.allow_trailing_commas = false;
  opts.allow_invalid_utf8 = false;
  json::parser parser(json::storage_ptr(), opts);
  boost::system::error_code ec;
  const std::size_t at = parser.write(body.data(), body.size(), ec);
  if (ec) {
    if (ec == json::error::too_deep) {
      return shape_error(what,
                         "JSON nested deeper than " + std::to_string(limits.max_depth) + " levels");
    }
    return shape_error(what, "malformed JSON at byte " + std::to_string(at) + ": " + ec.message());
  }
  json::value v = parser.release();
  if (!v.is_object()) {
    return shape_error(what, std::string("the body must be a JSON object, not ") + kind_name(v));
  }
  return std::move(v.as_object());
}

const char* kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

std::string join(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

bool is_http_url(std::string_view s) {
  auto starts = [&](std::string_view prefix) {
    if (s.size() <= prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      char c = s[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != prefix[i]) return false;
    }
    return true;
  };
  return starts("http://") || starts("https://");
}

std::string quote(std::string_view s) {
  std::string out = "'";
  const std::size_t n = s.size() < 40 ? s.size() : 40;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : s[i];
  }
  if (n < s.size()) out += "...";
  out += "'";
  return out;
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// One line of readable text: control characters become spaces, bytes that are not UTF-8
// become '?', runs of spaces collapse, at most `max` bytes (whole code points).
std::string one_line(std::string_view s, std::size_t max) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    char32_t cp = 0;
    const std::size_t start = i;
    std::string piece;
    if (!next_code_point(s, i, cp)) {
      piece = "?";
      i = start + 1;
    } else if (cp < 0x20 || cp == 0x7f) {
      piece = " ";
    } else {
      piece.assign(s.substr(start, i - start));
    }
    if (piece == " " && (out.empty() || out.back() == ' ')) continue;
    if (out.size() + piece.size() > max) break;
    out += piece;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

const json::value* Reader::find(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return nullptr;
  return v;
}

void Reader::fail(std::string_view parent, std::string_view key, std::string_view problem) {
  if (error_) return;
  error_ = shape_error(what_, join(parent, key) + ": " + std::string(problem));
}

void Reader::fail_limit(std::string_view parent, std::string_view key, std::string_view problem) {
  if (error_) return;
  Error e = Error::limit("rcs " + what_ + ": " + join(parent, key) + ": " + std::string(problem));
  e.protocol_status = kTooLarge;
  error_ = std::move(e);
}

const json::value* Reader::get(const json::object& o, std::string_view parent, std::string_view key,
                               bool required) {
  const json::value* v = find(o, key);
  if (v == nullptr && required) fail(parent, key, "missing");
  return v;
}

const json::object* Reader::object(const json::object& o, std::string_view parent,
                                   std::string_view key, bool required) {
  const json::value* v = get(o, parent, key, required);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    fail(parent, key, std::string("expected an object, got ") + kind_name(*v));
    return nullptr;
  }
  return &v->as_object();
}

const json::array* Reader::array(const json::object& o, std::string_view parent,
                                 std::string_view key, bool required) {
  const json::value* v = get(o, parent, key, required);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) {
    fail(parent, key, std::string("expected an array, got ") + kind_name(*v));
    return nullptr;
  }
  return &v->as_array();
}

std::string Reader::string(const json::object& o, std::string_view parent, std::string_view key,
                           std::size_t max, bool required) {
  const json::value* v = get(o, parent, key, required);
  if (v == nullptr) return {};
  if (!v->is_string()) {
    fail(parent, key, std::string("expected a string, got ") + kind_name(*v));
    return {};
  }
  const json::string& s = v->as_string();
  if (s.size() > max) {
    fail_limit(parent, key,
               std::to_string(s.size()) + " bytes, over the limit of " + std::to_string(max));
    return {};
  }
  if (required && s.empty()) {
    fail(parent, key, "empty");
    return {};
  }
  return std::string(s.data(), s.size());
}

std::string Reader::id(const json::object& o, std::string_view parent, std::string_view key,
                       bool required) {
  std::string s = string(o, parent, key, limits_.max_string, required);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      fail(parent, key, "control character in an identifier");
      return {};
    }
  }
  return s;
}

std::string Reader::url(const json::object& o, std::string_view parent, std::string_view key,
                        bool required) {
  std::string s = string(o, parent, key, limits_.max_url, required);
  if (!s.empty() && !is_http_url(s)) {
    fail(parent, key, quote(s) + " is not an http(s) URL");
    return {};
  }
  return s;
}

std::optional<std::uint64_t> Reader::count(const json::object& o, std::string_view parent,
                                           std::string_view key, bool required) {
  const json::value* v = get(o, parent, key, required);
  if (v == nullptr) return std::nullopt;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
  if (v->is_int64()) {
    fail(parent, key, "negative");
  } else {
    fail(parent, key, std::string("expected a non-negative integer, got ") + kind_name(*v));
  }
  return std::nullopt;
}

std::string Reader::number(const json::object& o, std::string_view parent, std::string_view key,
                           bool required) {
  std::string s = string(o, parent, key, limits_.max_string, required);
  if (s.empty()) return s;
  auto e164 = e164_from_user_contact(s);
  if (!e164) {
    fail(parent, key, e164.error().message);
    return {};
  }
  return std::move(e164.value());
}

}  // namespace passerelle::rcs::detail
