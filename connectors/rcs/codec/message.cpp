#include "rcs/codec/message.hpp"

#include <cmath>

#include "core/utf8.hpp"
#include "rcs/codec/json_read.hpp"
#include "rcs/codec/phone.hpp"

namespace passerelle::rcs {

namespace {

namespace json = boost::json;
using detail::join;

// Checks the values going into one request; the first problem is kept (as Reader does for
// the way in), so a builder writes everything and checks once.
class Checker {
 public:
  explicit Checker(const Limits& limits) : limits_(limits) {}

  void fail(std::string_view path, std::string_view problem) {
    if (!error_)
      error_ = detail::shape_error("request", std::string(path) + ": " + std::string(problem));
  }

  // UTF-8 text of at most `max_bytes`; `required`: not empty.
  bool text(std::string_view path, std::string_view s, std::size_t max_bytes, bool required) {
    if (required && s.empty()) {
      fail(path, "empty");
      return false;
    }
    if (s.size() > max_bytes) {
      fail(path,
           std::to_string(s.size()) + " bytes, over the limit of " + std::to_string(max_bytes));
      return false;
    }
    if (!is_valid_utf8(s)) {
      fail(path, "not UTF-8");
      return false;
    }
    return true;
  }

  // A short string: UTF-8, at most max_string bytes, no control characters.
  bool word(std::string_view path, std::string_view s, bool required) {
    return text(path, s, limits_.max_string, required) && no_controls(path, s);
  }

  bool no_controls(std::string_view path, std::string_view s) {
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c < 0x20 || c == 0x7f) {
        fail(path, "control character");
        return false;
      }
    }
    return true;
  }

  // At most `max` characters (code points).
  bool chars(std::string_view path, std::string_view s, std::size_t max, bool required) {
    if (!text(path, s, s.size(), required)) return false;  // empty, UTF-8
    if (detail::code_points(s) > max) {
      fail(path, "longer than " + std::to_string(max) + " characters");
      return false;
    }
    return true;
  }

  bool url(std::string_view path, std::string_view s, bool http_only, bool required) {
    if (!text(path, s, limits_.max_url, required) || !no_controls(path, s)) return false;
    for (char c : s) {
      if (c == ' ') {
        fail(path, "a URL has no spaces");
        return false;
      }
    }
    if (http_only && !s.empty() && !detail::is_http_url(s)) {
      fail(path, detail::quote(s) + " is not an http(s) URL");
      return false;
    }
    return true;
  }

  bool number(std::string_view path, std::string_view s) {
    auto uc = user_contact_from_e164(s);
    if (!uc) {
      fail(path, uc.error().message);
      return false;
    }
    return true;
  }

  bool ok() const { return !error_; }
  const Error& error() const { return *error_; }
  const Limits& limits() const { return limits_; }

 private:
  Limits limits_;
  std::optional<Error> error_;
};

json::object postback(const std::string& data) {
  return json::object{{"data", data}};
}

// The "<kind>Action": {"<method>": {...}} pair of an action.
std::pair<const char*, json::object> action_body(const ActionKind& what, Checker& c,
                                                 const std::string& path) {
  struct Visit {
    Checker& c;
    const std::string& path;

    std::pair<const char*, json::object> operator()(const OpenUrl& a) const {
      c.url(join(path, "urlAction.openUrl.url"), a.url, false, true);
      return {"urlAction", {{"openUrl", {{"url", a.url}}}}};
    }
    std::pair<const char*, json::object> operator()(const DialPhone& a) const {
      c.number(join(path, "dialerAction.dialPhoneNumber.phoneNumber"), a.phone_number);
      return {"dialerAction", {{"dialPhoneNumber", {{"phoneNumber", a.phone_number}}}}};
    }
    std::pair<const char*, json::object> operator()(const DialEnrichedCall& a) const {
      c.number(join(path, "dialerAction.dialEnrichedCall.phoneNumber"), a.phone_number);
      c.text(join(path, "dialerAction.dialEnrichedCall.subject"), a.subject, c.limits().max_string,
             false);
      json::object call{{"phoneNumber", a.phone_number}};
      if (!a.subject.empty()) call["subject"] = a.subject;
      return {"dialerAction", {{"dialEnrichedCall", std::move(call)}}};
    }
    std::pair<const char*, json::object> operator()(const DialVideoCall& a) const {
      c.number(join(path, "dialerAction.dialVideoCall.phoneNumber"), a.phone_number);
      return {"dialerAction", {{"dialVideoCall", {{"phoneNumber", a.phone_number}}}}};
    }
    std::pair<const char*, json::object> operator()(const RequestLocationPush&) const {
      return {"mapAction", {{"requestLocationPush", json::object{}}}};
    }
    std::pair<const char*, json::object> operator()(const ShowLocation& a) const {
      const std::string where = join(path, "mapAction.showLocation.location");
      json::object location;
      const bool coords = a.latitude || a.longitude;
      if (coords == !a.query.empty()) {
        c.fail(where, "either latitude and longitude or a query");
      } else if (coords) {
        if (!a.latitude || !a.longitude || !std::isfinite(*a.latitude) ||
            !std::isfinite(*a.longitude) || std::fabs(*a.latitude) > 90 ||
            std::fabs(*a.longitude) > 180) {
          c.fail(where, "latitude in [-90, 90] and longitude in [-180, 180], both required");
        } else {
          location["latitude"] = *a.latitude;
          location["longitude"] = *a.longitude;
        }
        c.text(join(where, "label"), a.label, c.limits().max_string, false);
        if (!a.label.empty()) location["label"] = a.label;
      } else {
        c.text(join(where, "query"), a.query, c.limits().max_string, true);
        location["query"] = a.query;
      }
      json::object show{{"location", std::move(location)}};
      c.url(join(path, "mapAction.showLocation.fallbackUrl"), a.fallback_url, false, false);
      if (!a.fallback_url.empty()) show["fallbackUrl"] = a.fallback_url;
      return {"mapAction", {{"showLocation", std::move(show)}}};
    }
    std::pair<const char*, json::object> operator()(const CreateCalendarEvent& a) const {
      const std::string where = join(path, "calendarAction.createCalendarEvent");
      c.word(join(where, "startTime"), a.start_time, true);
      c.word(join(where, "endTime"), a.end_time, true);
      c.text(join(where, "title"), a.title, c.limits().max_string, true);
      c.text(join(where, "description"), a.description, c.limits().max_string, false);
      json::object ev{{"startTime", a.start_time}, {"endTime", a.end_time}, {"title", a.title}};
      if (!a.description.empty()) ev["description"] = a.description;
      return {"calendarAction", {{"createCalendarEvent", std::move(ev)}}};
    }
    std::pair<const char*, json::object> operator()(const ComposeTextMessage& a) const {
      const std::string where = join(path, "composeAction.composeTextMessage");
      c.number(join(where, "phoneNumber"), a.phone_number);
      c.text(join(where, "text"), a.text, c.limits().max_string, true);
      return {"composeAction",
              {{"composeTextMessage", {{"phoneNumber", a.phone_number}, {"text", a.text}}}}};
    }
    std::pair<const char*, json::object> operator()(const ComposeRecordingMessage& a) const {
      const std::string where = join(path, "composeAction.composeRecordingMessage");
      c.number(join(where, "phoneNumber"), a.phone_number);
      if (a.type != "AUDIO" && a.type != "VIDEO") c.fail(join(where, "type"), "AUDIO or VIDEO");
      return {"composeAction",
              {{"composeRecordingMessage", {{"phoneNumber", a.phone_number}, {"type", a.type}}}}};
    }
    std::pair<const char*, json::object> operator()(const RequestDeviceSpecifics&) const {
      return {"deviceAction", {{"requestDeviceSpecifics", json::object{}}}};
    }
    std::pair<const char*, json::object> operator()(const DisableAnonymization&) const {
      return {"settingsAction", {{"disableAnonymization", json::object{}}}};
    }
    std::pair<const char*, json::object> operator()(const EnableDisplayedNotifications&) const {
      return {"settingsAction", {{"enableDisplayedNotifications", json::object{}}}};
    }
  };
  return std::visit(Visit{c, path}, what);
}

json::value suggestion_json(const Suggestion& s, Checker& c, const std::string& path) {
  const Limits& lim = c.limits();
  if (const auto* r = std::get_if<Reply>(&s)) {
    const std::string where = join(path, "reply");
    c.chars(join(where, "displayText"), r->display_text, lim.max_display_text, true);
    c.chars(join(where, "postback.data"), r->postback, lim.max_postback, false);
    json::object reply{{"displayText", r->display_text}};
    if (!r->postback.empty()) reply["postback"] = postback(r->postback);
    return json::object{{"reply", std::move(reply)}};
  }
  const auto& a = std::get<Action>(s);
  const std::string where = join(path, "action");
  auto [kind, body] = action_body(a.what, c, where);
  c.chars(join(where, "displayText"), a.display_text, lim.max_display_text, true);
  c.chars(join(where, "postback.data"), a.postback, lim.max_postback, false);
  // Member order as the Node SDK's README writes an action: the action, then its label.
  json::object action;
  action[kind] = std::move(body);
  action["displayText"] = a.display_text;
  if (!a.postback.empty()) action["postback"] = postback(a.postback);
  return json::object{{"action", std::move(action)}};
}

void add_suggestions(json::object& rcs, const std::vector<Suggestion>& suggestions, Checker& c) {
  if (suggestions.empty()) return;
  const std::string path = "RCSMessage.suggestedChipList.suggestions";
  if (suggestions.size() > c.limits().max_suggestions) {
    c.fail(path, std::to_string(suggestions.size()) + " suggestions, over the limit of " +
                     std::to_string(c.limits().max_suggestions));
    return;
  }
  json::array list;
  for (std::size_t i = 0; i < suggestions.size(); ++i) {
    list.push_back(suggestion_json(suggestions[i], c, path + "[" + std::to_string(i) + "]"));
  }
  rcs["suggestedChipList"] = json::object{{"suggestions", std::move(list)}};
}

// trafficType and msgId, after the content (the order of Jio's example).
void add_envelope_fields(json::object& rcs, const Envelope& env, Checker& c) {
  if (!env.traffic_type.empty()) {
    c.word("RCSMessage.trafficType", env.traffic_type, true);
    rcs["trafficType"] = env.traffic_type;
  }
  if (!env.msg_id.empty()) {
    if (c.text("RCSMessage.msgId", env.msg_id, c.limits().max_msg_id, true)) {
      c.no_controls("RCSMessage.msgId", env.msg_id);
    }
    rcs["msgId"] = env.msg_id;
  }
}

Result<std::string> finish(json::object rcs, std::string_view to, Checker& c) {
  c.number("messageContact.userContact", to);
  if (!c.ok()) return c.error();
  json::object body;
  body["RCSMessage"] = std::move(rcs);
  body["messageContact"] = json::object{{"userContact", to}};
  return json::serialize(body);
}

// The members of a file reference; "thumbnail" names them thumbnailUrl, ... (coco's
// file_image.json order: name, URL, type, size).
void add_file(json::object& out, const FileRef& f, std::string_view prefix, Checker& c,
              const std::string& path) {
  const bool thumb = !prefix.empty();
  auto key = [&](std::string_view file_key, std::string_view thumb_key) {
    return std::string(thumb ? thumb_key : file_key);
  };
  const std::string name_key = key("fileName", "thumbnailFileName");
  const std::string url_key = key("fileUrl", "thumbnailUrl");
  const std::string type_key = key("fileMIMEType", "thumbnailMIMEType");
  const std::string size_key = key("fileSize", "thumbnailFileSize");
  c.url(join(path, url_key), f.url, true, true);
  c.word(join(path, name_key), f.name, false);
  c.word(join(path, type_key), f.mime_type, false);
  if (!f.name.empty()) out[name_key] = f.name;
  out[url_key] = f.url;
  if (!f.mime_type.empty()) out[type_key] = f.mime_type;
  if (f.size) out[size_key] = *f.size;
}

}  // namespace

Result<std::string> build_text_message(const Envelope& env, const TextMessage& m,
                                       const Limits& limits) {
  Checker c(limits);
  c.text("RCSMessage.textMessage", m.text, limits.max_text, true);
  json::object rcs{{"textMessage", m.text}};
  add_suggestions(rcs, m.suggestions, c);
  add_envelope_fields(rcs, env, c);
  return finish(std::move(rcs), env.to, c);
}

Result<std::string> build_file_message(const Envelope& env, const FileMessage& m,
                                       const Limits& limits) {
  Checker c(limits);
  json::object file;
  if (m.thumbnail) add_file(file, *m.thumbnail, "thumbnail", c, "RCSMessage.fileMessage");
  add_file(file, m.file, "", c, "RCSMessage.fileMessage");
  json::object rcs{{"fileMessage", std::move(file)}};
  add_suggestions(rcs, m.suggestions, c);
  add_envelope_fields(rcs, env, c);
  return finish(std::move(rcs), env.to, c);
}

Result<std::string> build_typing(std::string_view to, Typing state, const Limits& limits) {
  Checker c(limits);
  return finish(json::object{{"isTyping", typing_name(state)}}, to, c);
}

std::string build_revoke() {
  return R"({"RCSMessage":{"status":"cancelled"}})";
}

std::string build_displayed() {
  return R"({"RCSMessage":{"status":"displayed"}})";
}

}  // namespace passerelle::rcs
