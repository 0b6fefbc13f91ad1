#pragma once
// Private to the RCS codec (included by its .cpp files only): reading and writing the
// platform's JSON with Boost.JSON, with the limits of Limits and errors that name the
// field ("RCSMessage.fileMessage.fileSize: ...").

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "rcs/codec/limits.hpp"
#include "rcs/codec/types.hpp"

namespace passerelle::rcs::detail {

namespace json = boost::json;

// HTTP statuses a webhook answers a refused body with (Error::protocol_status).
inline constexpr int kBadRequest = 400;
inline constexpr int kTooLarge = 413;

// "what: problem" as an invalid_input Error with protocol_status 400.
Error shape_error(std::string_view what, std::string_view problem);

// Parses a whole body into a JSON object: at most limits.max_body bytes (else
// limit_exceeded, 413), not empty, strict JSON (no comments or trailing commas), UTF-8,
// nesting within limits.max_depth; the top level must be an object. `what` names the body
// in errors ("webhook event", "send answer").
Result<json::object> parse_object(std::string_view body, const Limits& limits,
                                  std::string_view what);

// "json", "null", "a string", ... for errors.
const char* kind_name(const json::value& v);

// Reads the fields of one document. The first problem is kept; later reads still return
// (empty) values, so a parser reads what it needs and checks ok() once. Absent members
// and members set to null are the same (the Node SDK sends unset fields as null).
class Reader {
 public:
  Reader(std::string_view what, const Limits& limits) : what_(what), limits_(limits) {}

  // The member, or nullptr when absent or null.
  static const json::value* find(const json::object& o, std::string_view key);

  const json::object* object(const json::object& o, std::string_view parent, std::string_view key,
                             bool required);
  const json::array* array(const json::object& o, std::string_view parent, std::string_view key,
                           bool required);
  // A string of at most `max` bytes. `required`: present and not empty.
  std::string string(const json::object& o, std::string_view parent, std::string_view key,
                     std::size_t max, bool required);
  // An identifier (msgId, fileId, chatId): a string of at most max_string bytes without
  // control characters.
  std::string id(const json::object& o, std::string_view parent, std::string_view key,
                 bool required);
  // An http(s) URL of at most max_url bytes.
  std::string url(const json::object& o, std::string_view parent, std::string_view key,
                  bool required);
  // A non-negative integer (a JSON number without fraction or exponent part).
  std::optional<std::uint64_t> count(const json::object& o, std::string_view parent,
                                     std::string_view key, bool required);
  // A userContact as E.164.
  std::string number(const json::object& o, std::string_view parent, std::string_view key,
                     bool required);

  // Records a problem with the field parent.key (the first one wins).
  void fail(std::string_view parent, std::string_view key, std::string_view problem);
  void fail_limit(std::string_view parent, std::string_view key, std::string_view problem);

  bool ok() const { return !error_; }
  const Error& error() const { return *error_; }
  const Limits& limits() const { return limits_; }

 private:
  const json::value* get(const json::object& o, std::string_view parent, std::string_view key,
                         bool required);

  std::string what_;
  Limits limits_;
  std::optional<Error> error_;
};

// "parent.key" ("key" at the top level).
std::string join(std::string_view parent, std::string_view key);

// True when `s` starts with http:// or https:// (either case) and has something after it.
bool is_http_url(std::string_view s);

// A string for an error message: at most 40 bytes, control characters as '?'.
std::string quote(std::string_view s);

// One line of readable text: control characters become spaces, bytes that are not UTF-8
// '?', runs of spaces collapse; at most `max` bytes, cut between code points.
std::string one_line(std::string_view s, std::size_t max);

// Number of code points of valid UTF-8 (the caller has checked validity).
std::size_t code_points(std::string_view s);

}  // namespace passerelle::rcs::detail
