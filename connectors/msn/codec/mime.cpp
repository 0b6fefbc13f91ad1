#include "msn/codec/mime.hpp"

#include <charconv>

#include "core/ascii.hpp"
#include "msn/codec/names.hpp"

namespace passerelle::msn {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower_copy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

template <typename T>
bool parse_num(std::string_view s, T& out, int base) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc{} && p == s.data() + s.size();
}

const std::string* find_in(const std::vector<MimeHeader>& hs, std::string_view name) {
  for (const auto& h : hs) {
    if (ascii_iequals(h.name, name)) return &h.value;
  }
  return nullptr;
}

// Header lines up to a blank line or the end of `block` (which may then lack it).
Result<std::vector<MimeHeader>> parse_headers(std::string_view block, const MimeLimits& limits,
                                              std::string_view* rest, bool need_blank) {
  std::vector<MimeHeader> out;
  for (;;) {
    if (block.empty()) {
      if (need_blank) return Error::invalid("MIME headers without the blank line that ends them");
      *rest = block;
      return out;
    }
    const auto eol = block.find("\r\n");
    if (eol == std::string_view::npos) return Error::invalid("MIME header line without CR LF");
    const std::string_view line = block.substr(0, eol);
    block.remove_prefix(eol + 2);
    if (line.empty()) {
      *rest = block;
      return out;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Error::invalid("MIME header line without a name and ':'");
    }
    if (out.size() == limits.max_headers) return Error::limit("too many MIME header lines");
    out.push_back(MimeHeader{std::string(trim(line.substr(0, colon))),
                             std::string(trim(line.substr(colon + 1)))});
  }
}

int to_count(const std::string* v) {
  int n = -1;
  if (v && parse_num(*v, n, 10) && n >= 0) return n;
  return -1;
}

}  // namespace

const std::string* MimeParts::find(std::string_view name) const {
  return find_in(headers, name);
}
const std::string* Profile::field(std::string_view name) const {
  return find_in(fields, name);
}

Result<MimeParts> split_mime(std::string_view payload, const MimeLimits& limits) {
  std::string_view rest;
  auto hs = parse_headers(payload, limits, &rest, true);
  if (!hs) return hs.error();
  return MimeParts{std::move(hs).value(), rest};
}

ContentType parse_content_type(std::string_view value) {
  ContentType ct;
  auto semi = value.find(';');
  ct.type = lower_copy(trim(value.substr(0, semi)));
  while (semi != std::string_view::npos) {
    value.remove_prefix(semi + 1);
    semi = value.find(';');
    const std::string_view param = trim(value.substr(0, semi));
    const auto eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (!ascii_iequals(trim(param.substr(0, eq)), "charset")) continue;
    std::string_view v = trim(param.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    ct.charset.assign(v);
  }
  return ct;
}

TextFormat parse_text_format(std::string_view value) {
  TextFormat f;
  while (!value.empty()) {
    const auto semi = value.find(';');
    const std::string_view field = trim(value.substr(0, semi));
    value = semi == std::string_view::npos ? std::string_view{} : value.substr(semi + 1);
    const auto eq = field.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view k = field.substr(0, eq);
    const std::string_view v = field.substr(eq + 1);
    if (k == "FN") {
      f.font = url_decode(v);
    } else if (k == "EF") {
      f.effects.assign(v);
    } else if (k == "CO") {
      std::uint32_t c = 0;
      if (parse_num(v, c, 16) && c <= 0xFFFFFF) f.color = c;
    } else if (k == "CS") {
      std::uint32_t c = 0;
      if (parse_num(v, c, 16) && c <= 0xFF) f.charset = c;
    } else if (k == "PF") {
      std::uint32_t c = 0;
      if (parse_num(v, c, 16) && c <= 0xFF) f.pitch_family = c;
    } else if (k == "RL") {
      f.right_to_left = (v == "1");
    }
  }
  return f;
}

std::string format_text_format(const TextFormat& f) {
  auto hex = [](std::uint32_t v) {
    char b[16];
    auto r = std::to_chars(b, b + sizeof b, v, 16);
    return std::string(b, r.ptr);
  };
  std::string out = "FN=" + url_encode(f.font) + "; EF=";
  for (char c : f.effects) {
    if (c == 'B' || c == 'I' || c == 'U' || c == 'S') out += c;
  }
  out += "; CO=" + hex(f.color & 0xFFFFFF) + "; CS=" + hex(f.charset & 0xFF) +
         "; PF=" + hex(f.pitch_family & 0xFF);
  if (f.right_to_left) out += "; RL=1";
  return out;
}

Result<MimeMessage> parse_message(std::string_view payload, const MimeLimits& limits) {
  auto parts_r = split_mime(payload, limits);
  if (!parts_r) return parts_r.error();
  MimeParts& parts = parts_r.value();
  const std::string* ctv = parts.find("Content-Type");
  if (!ctv) return Error::invalid("MSG payload without Content-Type");
  ContentType ct = parse_content_type(*ctv);

  if (ct.type == "text/plain") {
    Text t;
    t.body.assign(parts.body);
    t.charset = std::move(ct.charset);
    if (const auto* fmt = parts.find("X-MMS-IM-Format")) t.format = parse_text_format(*fmt);
    return MimeMessage{std::move(t)};
  }
  if (ct.type == "text/x-msmsgscontrol") {
    const auto* user = parts.find("TypingUser");
    if (!user) return MimeMessage{Other{std::move(ct.type)}};
    return MimeMessage{Typing{*user}};
  }
  if (ct.type == "text/x-msnmsgr-datacast") {
    // The body is itself a header block: "ID: 1\r\n\r\n" for a nudge.
    std::string_view rest;
    auto fields = parse_headers(parts.body, limits, &rest, false);
    if (fields) {
      const auto* id = find_in(fields.value(), "ID");
      if (id && *id == "1") return MimeMessage{Nudge{}};
    }
    return MimeMessage{Other{std::move(ct.type)}};
  }
  if (ct.type == "text/x-msmsgsprofile") {
    Profile p;
    for (auto& h : parts.headers) {
      if (ascii_iequals(h.name, "MIME-Version") || ascii_iequals(h.name, "Content-Type")) continue;
      p.fields.push_back(std::move(h));
    }
    return MimeMessage{std::move(p)};
  }
  if (ct.type == "text/x-msmsgsinitialemailnotification" ||
      ct.type == "text/x-msmsgsemailnotification") {
    EmailNotification n;
    n.initial = ct.type == "text/x-msmsgsinitialemailnotification";
    std::string_view rest;
    auto fields = parse_headers(parts.body, limits, &rest, false);
    if (!fields) return fields.error();
    const auto& fs = fields.value();
    n.inbox_unread = to_count(find_in(fs, "Inbox-Unread"));
    n.folders_unread = to_count(find_in(fs, "Folders-Unread"));
    auto take = [&](const char* name, std::string& to) {
      if (const auto* v = find_in(fs, name)) to = *v;
    };
    take("Inbox-URL", n.inbox_url);
    take("Folders-URL", n.folders_url);
    take("Post-URL", n.post_url);
    take("From", n.from);
    take("From-Addr", n.from_addr);
    take("Subject", n.subject);
    return MimeMessage{std::move(n)};
  }
  return MimeMessage{Other{std::move(ct.type)}};
}

std::string build_text(std::string_view utf8_body, const TextFormat& format) {
  std::string out =
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: ";
  out += format_text_format(format);
  out += "\r\n\r\n";
  out += utf8_body;
  return out;
}

std::string build_typing(std::string_view user) {
  std::string out = "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: ";
  for (char c : user) {
    if (c != '\r' && c != '\n') out += c;  // a header value cannot end the header block
  }
  out += "\r\n\r\n\r\n";
  return out;
}

std::string build_nudge() {
  return "MIME-Version: 1.0\r\nContent-Type: text/x-msnmsgr-datacast\r\n\r\nID: 1\r\n\r\n";
}

}  // namespace passerelle::msn
