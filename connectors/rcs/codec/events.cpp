#include "rcs/codec/events.hpp"

#include <charconv>
#include <cmath>

#include "rcs/codec/json_read.hpp"

namespace passerelle::rcs {

namespace {

namespace json = boost::json;
using detail::Reader;

constexpr std::string_view kRcs = "RCSMessage";
constexpr std::string_view kContact = "messageContact";

EventMeta read_meta(Reader& r, const json::object& doc, const json::object*& rcs) {
  EventMeta m;
  rcs = r.object(doc, "", kRcs, true);
  if (rcs != nullptr) {
    m.msg_id = r.id(*rcs, kRcs, "msgId", true);
    m.timestamp = r.string(*rcs, kRcs, "timestamp", r.limits().max_string, false);
  }
  if (const json::object* c = r.object(doc, "", kContact, true)) {
    m.contact.number = r.number(*c, kContact, "userContact", false);
    m.contact.chat_id = r.id(*c, kContact, "chatId", false);
    if (r.ok() && m.contact.number.empty() && m.contact.chat_id.empty()) {
      r.fail("", kContact, "needs userContact or chatId");
    }
  }
  return m;
}

// The members of a fileMessage or audioMessage (and its thumbnail).
FileRef read_file(Reader& r, const json::object& o, std::string_view path, bool thumbnail) {
  FileRef f;
  f.url = r.url(o, path, thumbnail ? "thumbnailUrl" : "fileUrl", true);
  f.name =
      r.string(o, path, thumbnail ? "thumbnailFileName" : "fileName", r.limits().max_string, false);
  const char* type_key = thumbnail ? "thumbnailMIMEType" : "fileMIMEType";
  // The SDKs write fileMIMEType; accept the camel-case spelling too.
  if (Reader::find(o, type_key) == nullptr) {
    type_key = thumbnail ? "thumbnailMimeType" : "fileMimeType";
  }
  f.mime_type = r.string(o, path, type_key, r.limits().max_string, false);
  f.size = r.count(o, path, thumbnail ? "thumbnailFileSize" : "fileSize", false);
  return f;
}

bool parse_degrees(std::string_view s, double& out) {
  if (s.empty()) return false;
  if (s.front() == '+') {
    s.remove_prefix(1);
    if (s.empty() || s.front() == '-') return false;
  }
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
}

// "26.1181289 -80.1283921" (a comma between them is accepted too).
bool parse_pos(std::string_view pos, double& lat, double& lon) {
  const auto sep = pos.find_first_of(" ,");
  if (sep == std::string_view::npos) return false;
  const auto next = pos.find_first_not_of(" ,", sep);
  if (next == std::string_view::npos) return false;
  for (std::size_t i = sep; i < next; ++i) {
    if (pos[i] == ',' && pos.find(',', i + 1) < next) return false;  // one comma at most
  }
  return parse_degrees(pos.substr(0, sep), lat) && parse_degrees(pos.substr(next), lon) &&
         std::fabs(lat) <= 90 && std::fabs(lon) <= 180;
}

Result<Event> read_message(Reader& r, const json::object& rcs, EventMeta meta) {
  static constexpr std::string_view kKinds[] = {"textMessage", "fileMessage", "audioMessage",
                                                "geolocationPushMessage"};
  std::string_view kind;
  int n = 0;
  for (auto k : kKinds) {
    if (Reader::find(rcs, k) != nullptr) {
      kind = k;
      ++n;
    }
  }
  if (n != 1) {
    r.fail("", kRcs,
           n == 0 ? "a message needs one of textMessage, fileMessage, audioMessage, "
                    "geolocationPushMessage"
                  : "a message carries only one of textMessage, fileMessage, audioMessage, "
                    "geolocationPushMessage");
    return r.error();
  }
  if (kind == "textMessage") {
    InboundText t;
    static_cast<EventMeta&>(t) = std::move(meta);
    t.text = r.string(rcs, kRcs, kind, r.limits().max_text, false);
    if (!r.ok()) return r.error();
    return Event{std::move(t)};
  }
  const std::string path = detail::join(kRcs, kind);
  const json::object* body = r.object(rcs, kRcs, kind, true);
  if (body == nullptr) return r.error();
  if (kind == "geolocationPushMessage") {
    InboundLocation loc;
    static_cast<EventMeta&>(loc) = std::move(meta);
    const std::string pos = r.string(*body, path, "pos", r.limits().max_string, true);
    if (r.ok() && !parse_pos(pos, loc.latitude, loc.longitude)) {
      r.fail(path, "pos", detail::quote(pos) + " is not \"latitude longitude\" in degrees");
    }
    loc.label = r.string(*body, path, "label", r.limits().max_string, false);
    if (const json::value* radius = Reader::find(*body, "radius")) {
      if (radius->is_number() && std::isfinite(radius->to_number<double>()) &&
          radius->to_number<double>() >= 0) {
        loc.radius = radius->to_number<double>();
      } else {
        r.fail(path, "radius", "expected a non-negative number");
      }
    }
    if (!r.ok()) return r.error();
    return Event{std::move(loc)};
  }
  InboundFile f;
  static_cast<EventMeta&>(f) = std::move(meta);
  f.audio = kind == "audioMessage";
  f.file = read_file(r, *body, path, false);
  if (Reader::find(*body, "thumbnailUrl") != nullptr) f.thumbnail = read_file(r, *body, path, true);
  if (f.audio) f.playing_length = r.count(*body, path, "playingLength", false);
  if (!r.ok()) return r.error();
  return Event{std::move(f)};
}

// suggestedResponse.response.{reply|action}: -> (action?, displayText, postback)
struct Tapped {
  bool action = false;
  std::string display_text;
  std::string postback;
};

Tapped read_response(Reader& r, const json::object& rcs) {
  Tapped t;
  const json::object* sr = r.object(rcs, kRcs, "suggestedResponse", true);
  if (sr == nullptr) return t;
  const std::string sr_path = "RCSMessage.suggestedResponse";
  const json::object* resp = r.object(*sr, sr_path, "response", true);
  if (resp == nullptr) return t;
  const std::string path = sr_path + ".response";
  const bool reply = Reader::find(*resp, "reply") != nullptr;
  t.action = Reader::find(*resp, "action") != nullptr;
  if (reply == t.action) {
    r.fail(sr_path, "response", "needs exactly one of reply, action");
    return t;
  }
  const std::string_view key = t.action ? "action" : "reply";
  const json::object* inner = r.object(*resp, path, key, true);
  if (inner == nullptr) return t;
  const std::string inner_path = detail::join(path, key);
  // Longer than the 25 characters a bot may write: what the phone shows is what counts.
  t.display_text = r.string(*inner, inner_path, "displayText", r.limits().max_string, true);
  if (const json::object* pb = r.object(*inner, inner_path, "postback", false)) {
    t.postback =
        r.string(*pb, inner_path + ".postback", "data", r.limits().max_postback * 4, false);
  }
  return t;
}

// RCSMessage.reason / RCSMessage.error, read without failing (no source documents them).
std::string failure_reason(const json::object& rcs, const Limits& limits) {
  auto text_of = [&](const json::value* v) -> std::string {
    if (v == nullptr) return {};
    if (v->is_object()) {
      for (const char* k : {"text", "message"}) {
        const json::value* t = Reader::find(v->as_object(), k);
        if (t != nullptr && t->is_string()) {
          v = t;
          break;
        }
      }
    }
    if (!v->is_string()) return {};
    return detail::one_line(v->as_string(), limits.max_error_text);
  };
  std::string s = text_of(Reader::find(rcs, "reason"));
  if (s.empty()) s = text_of(Reader::find(rcs, "error"));
  return s;
}

}  // namespace

Result<Event> parse_event(std::string_view body, const Limits& limits) {
  auto parsed = detail::parse_object(body, limits, "webhook event");
  if (!parsed) return parsed.error();
  const json::object& doc = parsed.value();
  Reader r("webhook event", limits);
  const std::string event = r.id(doc, "", "event", true);
  if (!r.ok()) return r.error();

  if (event == "fileStatus") {
    FileStatusEvent fs;
    if (const json::object* f = r.object(doc, "", "file", true)) {
      fs.file.file_id = r.id(*f, "file", "fileId", true);
      fs.file.file_url = r.url(*f, "file", "fileUrl", false);
      fs.file.file_size = r.count(*f, "file", "fileSize", false);
      fs.file.status = r.string(*f, "file", "status", limits.max_string, true);
      fs.file.validity = r.string(*f, "file", "validity", limits.max_string, false);
    }
    if (!r.ok()) return r.error();
    return Event{std::move(fs)};
  }

  static constexpr std::string_view kKnown[] = {"message",  "isTyping", "messageStatus",
                                                "response", "newUser",  "alias"};
  bool known = false;
  for (auto k : kKnown) known = known || event == k;
  const json::object* rcs = nullptr;
  if (!known) {
    // Whatever can be read; nothing in an unknown event is an error.
    Reader lenient("webhook event", limits);
    UnknownEvent u{event, read_meta(lenient, doc, rcs)};
    if (!lenient.ok()) u.meta = EventMeta{};
    return Event{std::move(u)};
  }

  EventMeta meta = read_meta(r, doc, rcs);
  if (!r.ok()) return r.error();

  if (event == "message") return read_message(r, *rcs, std::move(meta));
  if (event == "isTyping") {
    TypingEvent t;
    static_cast<EventMeta&>(t) = std::move(meta);
    const std::string word = r.string(*rcs, kRcs, "isTyping", limits.max_string, true);
    if (!r.ok()) return r.error();
    const auto state = parse_typing(word);
    if (!state) {
      r.fail(kRcs, "isTyping", detail::quote(word) + " is neither active nor idle");
      return r.error();
    }
    t.state = *state;
    return Event{std::move(t)};
  }
  if (event == "messageStatus") {
    StatusEvent s;
    static_cast<EventMeta&>(s) = std::move(meta);
    s.status_word = r.string(*rcs, kRcs, "status", limits.max_string, true);
    if (!r.ok()) return r.error();
    s.status = parse_delivery_status(s.status_word);
    s.reason = failure_reason(*rcs, limits);
    return Event{std::move(s)};
  }
  if (event == "response" || event == "newUser") {
    Tapped t = read_response(r, *rcs);
    if (!r.ok()) return r.error();
    if (event == "newUser") {
      NewUser n;
      static_cast<EventMeta&>(n) = std::move(meta);
      n.display_text = std::move(t.display_text);
      n.postback = std::move(t.postback);
      return Event{std::move(n)};
    }
    SuggestionResponse s;
    static_cast<EventMeta&>(s) = std::move(meta);
    s.action = t.action;
    s.display_text = std::move(t.display_text);
    s.postback = std::move(t.postback);
    return Event{std::move(s)};
  }
  // alias
  if (meta.contact.number.empty() || meta.contact.chat_id.empty()) {
    r.fail("", kContact, "an alias names both userContact and chatId");
    return r.error();
  }
  Alias a;
  static_cast<EventMeta&>(a) = std::move(meta);
  return Event{std::move(a)};
}

std::string_view event_type(const Event& e) {
  struct Visit {
    std::string_view operator()(const InboundText&) const { return "message"; }
    std::string_view operator()(const InboundFile&) const { return "message"; }
    std::string_view operator()(const InboundLocation&) const { return "message"; }
    std::string_view operator()(const SuggestionResponse&) const { return "response"; }
    std::string_view operator()(const NewUser&) const { return "newUser"; }
    std::string_view operator()(const Alias&) const { return "alias"; }
    std::string_view operator()(const StatusEvent&) const { return "messageStatus"; }
    std::string_view operator()(const TypingEvent&) const { return "isTyping"; }
    std::string_view operator()(const FileStatusEvent&) const { return "fileStatus"; }
    std::string_view operator()(const UnknownEvent& u) const { return u.event; }
  };
  return std::visit(Visit{}, e);
}

bool authorization_matches(std::string_view header, std::string_view expected) {
  // Every byte of the longer one is looked at, whatever the first difference.
  const std::size_t n = header.size() > expected.size() ? header.size() : expected.size();
  unsigned diff = header.size() == expected.size() ? 0u : 1u;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned a = i < header.size() ? static_cast<unsigned char>(header[i]) : 0u;
    const unsigned b = i < expected.size() ? static_cast<unsigned char>(expected[i]) : 0u;
    diff |= a ^ b;
  }
  return diff == 0 && !expected.empty();
}

bool is_json_content_type(std::string_view ct) {
  std::string media;
  for (char c : ct.substr(0, ct.find(';'))) {
    if (c == ' ' || c == '\t') continue;
    media += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (media == "application/json") return true;
  const auto slash = media.find('/');
  return slash != std::string::npos && media.size() > 5 &&
         media.compare(media.size() - 5, 5, "+json") == 0 && slash + 1 < media.size() - 5;
}

}  // namespace passerelle::rcs
