#include "store/attachments.hpp"

#include <boost/json.hpp>

namespace passerelle::store {
namespace json = boost::json;

std::string encode_attachments(const std::vector<Attachment>& attachments) {
  if (attachments.empty()) return {};
  json::array out;
  for (const auto& a : attachments) {
    json::object o{{"name", a.name},
                   {"type", a.content_type},
                   {"size", a.size},
                   {"sha256", a.sha256},
                   {"url", a.url}};
    if (a.thumbnail)
      o["thumbnail"] = json::object{{"url", a.thumbnail->url},
                                    {"type", a.thumbnail->content_type},
                                    {"size", a.thumbnail->size}};
    out.push_back(std::move(o));
  }
  return json::serialize(out);
}

namespace {
std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}
std::uint64_t size_of(const json::object& o) {
  const auto* size = o.if_contains("size");
  if (size != nullptr && size->is_uint64()) return size->get_uint64();
  if (size != nullptr && size->is_int64() && size->get_int64() >= 0)
    return static_cast<std::uint64_t>(size->get_int64());
  return 0;
}
}  // namespace

std::vector<Attachment> decode_attachments(std::string_view text) {
  std::vector<Attachment> out;
  if (text.empty()) return out;
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& item : v.get_array()) {
    if (!item.is_object()) continue;
    const auto& o = item.get_object();
    Attachment a;
    a.name = text_of(o, "name");
    a.content_type = text_of(o, "type");
    a.size = size_of(o);
    a.sha256 = text_of(o, "sha256");
    a.url = text_of(o, "url");
    if (const auto* t = o.if_contains("thumbnail"); t != nullptr && t->is_object()) {
      Thumbnail th{text_of(t->get_object(), "url"), text_of(t->get_object(), "type"),
                   size_of(t->get_object())};
      if (!th.url.empty()) a.thumbnail = std::move(th);
    }
    if (!a.url.empty()) out.push_back(std::move(a));
  }
  return out;
}

}  // namespace passerelle::store
