#include "oscar/codec/html.hpp"

#include <array>
#include <cctype>

#include "core/utf8.hpp"

namespace passerelle::oscar {

namespace {

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Decodes the entity at s[i] == '&'; returns its length, or 0 when it is not one we know.
std::size_t entity(std::string_view s, std::size_t i, std::string& out) {
  const auto semi = s.find(';', i);
  if (semi == std::string_view::npos || semi - i > 10) return 0;
  const std::string_view name = s.substr(i + 1, semi - i - 1);
  struct Named {
    std::string_view name;
    char32_t cp;
  };
  static constexpr std::array<Named, 6> kNamed = {
      {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", 0xA0}}};
  for (const auto& n : kNamed) {
    if (iequals(name, n.name)) {
      append_utf8(out, n.cp);
      return semi - i + 1;
    }
  }
  if (name.size() >= 2 && name[0] == '#') {
    const bool hex = lower(name[1]) == 'x';
    const std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    char32_t cp = 0;
    for (char c : digits) {
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (hex && lower(c) >= 'a' && lower(c) <= 'f') d = lower(c) - 'a' + 10;
      if (d < 0) return 0;
      cp = cp * (hex ? 16 : 10) + static_cast<char32_t>(d);
      if (cp > 0x10FFFF) return 0;
    }
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    append_utf8(out, cp);
    return semi - i + 1;
  }
  return 0;
}

// The tag name of "<name ...>" or "</name>", lower case.
std::string tag_name(std::string_view tag) {
  std::size_t i = 1;
  if (i < tag.size() && tag[i] == '/') ++i;
  std::string name;
  while (i < tag.size() && std::isalnum(static_cast<unsigned char>(tag[i]))) {
    name.push_back(lower(tag[i++]));
  }
  return name;
}

// The value of href="..." (or href='...' or href=bare) in a tag; "" if none.
std::string href_of(std::string_view tag) {
  std::string low(tag);
  for (char& c : low) c = lower(c);
  auto at = low.find("href");
  if (at == std::string::npos) return {};
  at += 4;
  while (at < tag.size() && tag[at] == ' ') ++at;
  if (at >= tag.size() || tag[at] != '=') return {};
  ++at;
  while (at < tag.size() && tag[at] == ' ') ++at;
  if (at >= tag.size()) return {};
  const char q = tag[at];
  std::size_t end;
  if (q == '"' || q == '\'') {
    ++at;
    end = tag.find(q, at);
  } else {
    end = tag.find_first_of(" >", at);
  }
  if (end == std::string_view::npos) end = tag.size() - 1;
  std::string raw(tag.substr(at, end - at));
  std::string decoded;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const std::size_t n = raw[i] == '&' ? entity(raw, i, decoded) : 0;
    if (n == 0) {
      decoded.push_back(raw[i]);
    } else {
      i += n - 1;
    }
  }
  return decoded;
}

bool starts_tag(std::string_view s, std::size_t i) {
  if (i + 1 >= s.size()) return false;
  const char c = s[i + 1];
  return std::isalpha(static_cast<unsigned char>(c)) || c == '/' || c == '!';
}

}  // namespace

bool looks_like_html(std::string_view s) {
  static constexpr std::string_view kTags[] = {"html", "body", "font", "br",   "b", "i",  "u",
                                               "a",    "p",    "div",  "span", "s", "em", "strong"};
  for (std::size_t i = s.find('<'); i != std::string_view::npos; i = s.find('<', i + 1)) {
    if (!starts_tag(s, i)) continue;
    const auto close = s.find('>', i);
    if (close == std::string_view::npos) return false;
    const std::string name = tag_name(s.substr(i, close - i + 1));
    for (auto t : kTags) {
      if (name == t) return true;
    }
  }
  return false;
}

std::string html_to_text(std::string_view html) {
  if (html.size() > kMaxHtmlInput) html = html.substr(0, kMaxHtmlInput);
  std::string out;
  out.reserve(html.size());
  std::string href;            // of the open <a>
  std::size_t link_start = 0;  // where its text starts in `out`
  bool in_link = false;
  for (std::size_t i = 0; i < html.size(); ++i) {
    const char c = html[i];
    if (c == '&') {
      const std::size_t n = entity(html, i, out);
      if (n > 0) {
        i += n - 1;
        continue;
      }
      out.push_back(c);
      continue;
    }
    if (c != '<' || !starts_tag(html, i)) {
      out.push_back(c);
      continue;
    }
    const auto close = html.find('>', i);
    if (close == std::string_view::npos) {  // unterminated: keep as typed
      out.append(html.substr(i));
      break;
    }
    const std::string_view tag = html.substr(i, close - i + 1);
    const bool closing = tag.size() > 1 && tag[1] == '/';
    const std::string name = tag_name(tag);
    if (name == "br") {
      out.push_back('\n');
    } else if ((name == "p" || name == "div") && closing) {
      out.push_back('\n');
    } else if (name == "a" && !closing) {
      href = href_of(tag);
      link_start = out.size();
      in_link = true;
    } else if (name == "a" && closing && in_link) {
      const std::string_view text = std::string_view(out).substr(link_start);
      if (!href.empty() && text != href) {
        out += text.empty() ? href : " (" + href + ")";
      }
      in_link = false;
    }
    i = close;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string text_to_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
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
      case '"':
        out += "&quot;";
        break;
      case '\n':
        out += "<BR>";
        break;
      case '\r':
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace passerelle::oscar
