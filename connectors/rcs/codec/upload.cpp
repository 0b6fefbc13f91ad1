#include "rcs/codec/upload.hpp"

#include "core/utf8.hpp"
#include "rcs/codec/json_read.hpp"
#include "rcs/codec/paths.hpp"

namespace passerelle::rcs {

namespace {

bool bchar(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '\'':
    case '(':
    case ')':
    case '+':
    case '_':
    case ',':
    case '-':
    case '.':
    case '/':
    case ':':
    case '=':
    case '?':
      return true;
    default:
      return false;
  }
}

// A header value: visible text, no CR, LF or other controls.
Result<void> header_safe(std::string_view s, std::string_view what, std::size_t max,
                         bool required) {
  if (required && s.empty())
    return Error::invalid("rcs upload: " + std::string(what) + " is empty");
  if (s.size() > max) {
    return Error::invalid("rcs upload: " + std::string(what) + " is over " + std::to_string(max) +
                          " bytes");
  }
  if (!is_valid_utf8(s))
    return Error::invalid("rcs upload: " + std::string(what) + " is not UTF-8");
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      return Error::invalid("rcs upload: " + std::string(what) + " has a control character");
    }
  }
  return {};
}

void field(std::string& out, std::string_view boundary, std::string_view name,
           std::string_view value) {
  out += "--";
  out += boundary;
  out += "\r\nContent-Disposition: form-data; name=\"";
  out += name;
  out += "\"\r\n\r\n";
  out += value;
  out += "\r\n";
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 |
                       static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += kAlphabet[v >> 6 & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += i + 1 < in.size() ? kAlphabet[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

Result<MultipartUpload> build_upload(const UploadForm& form, std::string_view boundary,
                                     const Limits& limits) {
  if (boundary.empty() || boundary.size() > 70) {
    return Error::invalid("rcs upload: the boundary must be 1 to 70 characters");
  }
  for (char c : boundary) {
    if (!bchar(c))
      return Error::invalid("rcs upload: the boundary has a character RFC 2046 forbids");
  }
  if (auto r = header_safe(form.file_type, "fileType", limits.max_string, true); !r) {
    return r.error();
  }
  if (auto r = header_safe(form.until, "until", limits.max_string, false); !r) return r.error();
  const bool by_url = !form.file_url.empty();
  if (by_url) {
    if (auto r = header_safe(form.file_url, "fileUrl", limits.max_url, true); !r) return r.error();
    if (!detail::is_http_url(form.file_url)) {
      return Error::invalid("rcs upload: fileUrl " + detail::quote(form.file_url) +
                            " is not an http(s) URL");
    }
  } else if (auto r = header_safe(form.file_name, "the file name", limits.max_string, true); !r) {
    return r.error();
  }

  MultipartUpload up;
  // RFC 2045 tspecials among the bchars make the parameter a quoted string.
  const bool quoted = boundary.find_first_of("(),/:=?") != std::string_view::npos;
  up.content_type = "multipart/form-data; boundary=";
  up.content_type += quoted ? "\"" + std::string(boundary) + "\"" : std::string(boundary);
  field(up.head, boundary, "fileType", form.file_type);
  if (!form.until.empty()) field(up.head, boundary, "until", form.until);
  if (by_url) {
    field(up.head, boundary, "fileUrl", form.file_url);
    up.tail = "--" + std::string(boundary) + "--\r\n";
    return up;
  }
  up.head += "--";
  up.head += boundary;
  up.head += "\r\nContent-Disposition: form-data; name=\"fileContent\"; filename=\"";
  for (char c : form.file_name) {
    if (c == '"' || c == '\\') up.head += '\\';
    up.head += c;
  }
  up.head += "\"\r\nContent-Type: ";
  up.head += form.file_type;
  up.head += "\r\n\r\n";
  up.tail = "\r\n--" + std::string(boundary) + "--\r\n";
  return up;
}

std::string build_token_request(std::string_view scope) {
  std::string out = "grant_type=client_credentials";
  if (!scope.empty()) out += "&scope=" + escape_component(scope);
  return out;
}

std::string build_token_refresh(std::string_view refresh_token) {
  return "grant_type=refresh_token&refresh_token=" + escape_component(refresh_token);
}

Result<std::string> basic_authorization(std::string_view bot_id, std::string_view secret) {
  if (bot_id.find(':') != std::string_view::npos) {
    return Error::invalid("rcs: a bot id with ':' cannot log in with HTTP Basic");
  }
  std::string pair(bot_id);
  pair += ':';
  pair += secret;
  return "Basic " + base64(pair);
}

}  // namespace passerelle::rcs
