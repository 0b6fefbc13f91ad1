#include "xml.hpp"

namespace passerelle::xmpp::xml {

Element& Element::set(std::string_view key, std::string_view value) {
  for (auto it = attrs.begin(); it != attrs.end(); ++it) {
    if (it->first == key) {
      if (value.empty())
        attrs.erase(it);
      else
        it->second = std::string(value);
      return *this;
    }
  }
  if (!value.empty()) attrs.emplace_back(std::string(key), std::string(value));
  return *this;
}

const std::string* Element::attr(std::string_view key) const {
  for (const auto& [k, v] : attrs)
    if (k == key) return &v;
  return nullptr;
}

std::string Element::attr_or(std::string_view key, std::string_view fallback) const {
  const auto* v = attr(key);
  return v ? *v : std::string(fallback);
}

Element& Element::add(Element child) {
  children.push_back(std::move(child));
  return children.back();
}

Element& Element::add_text_child(std::string n, std::string t, std::string_view xmlns) {
  Element c(std::move(n), xmlns);
  if (!t.empty()) c.children.push_back(text_node(std::move(t)));
  return add(std::move(c));
}

Element& Element::add_text(std::string t) {
  children.push_back(text_node(std::move(t)));
  return *this;
}

const Element* Element::child(std::string_view n, std::string_view xmlns) const {
  for (const auto& c : children)
    if (!c.is_text() && c.name == n && (xmlns.empty() || c.ns() == xmlns)) return &c;
  return nullptr;
}

const Element* Element::child_ns(std::string_view xmlns) const {
  for (const auto& c : children)
    if (!c.is_text() && c.ns() == xmlns) return &c;
  return nullptr;
}

std::string Element::inner_text() const {
  std::string out;
  for (const auto& c : children)
    if (c.is_text()) out += c.text;
  return out;
}

std::string escape(std::string_view s, bool attribute) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\'':
        out += attribute ? "&apos;" : "'";
        break;
      case '"':
        out += attribute ? "&quot;" : "\"";
        break;
      default:
        // XML 1.0 forbids C0 controls other than tab, LF and CR: drop them rather
        // than have the server close the stream (an SMS body can carry anything).
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        out += c;
    }
  }
  return out;
}

namespace {
void write(const Element& e, std::string& out) {
  if (e.is_text()) {
    out += escape(e.text);
    return;
  }
  out += '<';
  out += e.name;
  for (const auto& [k, v] : e.attrs) {
    out += ' ';
    out += k;
    out += "='";
    out += escape(v, true);
    out += '\'';
  }
  if (e.children.empty()) {
    out += "/>";
    return;
  }
  out += '>';
  for (const auto& c : e.children) write(c, out);
  out += "</";
  out += e.name;
  out += '>';
}
}  // namespace

std::string to_string(const Element& e) {
  std::string out;
  write(e, out);
  return out;
}

}  // namespace passerelle::xmpp::xml
