#include "msn/codec/names.hpp"

#include <array>
#include <charconv>

#include "core/percent.hpp"

namespace passerelle::msn {

namespace {

// The text between <tag> and </tag> inside `xml`; "" for <tag/>; nullopt when absent.
std::optional<std::string_view> element(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string empty = "<" + std::string(tag) + "/>";
  const std::string close = "</" + std::string(tag) + ">";
  const auto o = xml.find(open);
  if (o == std::string_view::npos) {
    if (xml.find(empty) != std::string_view::npos) return std::string_view{};
    return std::nullopt;
  }
  const auto start = o + open.size();
  const auto c = xml.find(close, start);
  if (c == std::string_view::npos) return std::nullopt;
  return xml.substr(start, c - start);
}

}  // namespace

std::string url_encode(std::string_view bytes) {
  return percent_encode(bytes);
}

std::string url_decode(std::string_view text) {
  return percent_decode_lenient(text);
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
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
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Result<std::string> xml_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const auto semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      return Error::invalid("XML: '&' without an entity");
    }
    const std::string_view ent = text.substr(i + 1, semi - i - 1);
    if (ent == "amp") {
      out += '&';
    } else if (ent == "lt") {
      out += '<';
    } else if (ent == "gt") {
      out += '>';
    } else if (ent == "quot") {
      out += '"';
    } else if (ent == "apos") {
      out += '\'';
    } else if (ent.size() >= 2 && ent[0] == '#') {
      const bool hex = ent[1] == 'x' || ent[1] == 'X';
      const std::string_view digits = ent.substr(hex ? 2 : 1);
      std::uint32_t cp = 0;
      auto [p, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (digits.empty() || ec != std::errc{} || p != digits.data() + digits.size() || cp == 0 ||
          cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return Error::invalid("XML: bad character reference");
      }
      append_utf8(out, cp);
    } else {
      return Error::invalid("XML: unknown entity");
    }
    i = semi;
  }
  return out;
}

std::string build_personal_message(const PersonalMessage& pm) {
  return "<Data><PSM>" + xml_escape(pm.psm) + "</PSM><CurrentMedia>" +
         xml_escape(pm.current_media) + "</CurrentMedia></Data>";
}

Result<PersonalMessage> parse_personal_message(std::string_view xml) {
  auto data = element(xml, "Data");
  if (!data) return Error::invalid("personal message without <Data>");
  PersonalMessage pm;
  if (auto psm = element(*data, "PSM")) {
    auto t = xml_unescape(*psm);
    if (!t) return t.error();
    pm.psm = std::move(t).value();
  }
  if (auto media = element(*data, "CurrentMedia")) {
    auto t = xml_unescape(*media);
    if (!t) return t.error();
    pm.current_media = std::move(t).value();
  }
  return pm;
}

std::optional<unsigned> list_from_code(std::string_view code) {
  if (code == "FL") return list::forward;
  if (code == "AL") return list::allow;
  if (code == "BL") return list::block;
  if (code == "RL") return list::reverse;
  if (code == "PL") return list::pending;
  return std::nullopt;
}

const char* list_code(unsigned bit) {
  switch (bit) {
    case list::forward:
      return "FL";
    case list::allow:
      return "AL";
    case list::block:
      return "BL";
    case list::reverse:
      return "RL";
    case list::pending:
      return "PL";
  }
  return "";
}

namespace {
constexpr std::array<std::pair<Status, const char*>, 9> kStatus{{
    {Status::online, "NLN"},
    {Status::busy, "BSY"},
    {Status::idle, "IDL"},
    {Status::be_right_back, "BRB"},
    {Status::away, "AWY"},
    {Status::on_the_phone, "PHN"},
    {Status::out_to_lunch, "LUN"},
    {Status::hidden, "HDN"},
    {Status::offline, "FLN"},
}};
}  // namespace

std::optional<Status> parse_status(std::string_view code) {
  for (const auto& [s, c] : kStatus) {
    if (code == c) return s;
  }
  return std::nullopt;
}

const char* status_code(Status s) {
  for (const auto& [st, c] : kStatus) {
    if (st == s) return c;
  }
  return "FLN";
}

std::optional<std::uint32_t> parse_caps(std::string_view s) {
  std::uint32_t v = 0;
  if (s.empty() || s.size() > 10) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace passerelle::msn
