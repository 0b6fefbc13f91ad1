#include "rcs/codec/paths.hpp"

#include "core/percent.hpp"
#include "rcs/codec/json_read.hpp"
#include "rcs/codec/phone.hpp"

namespace passerelle::rcs {

namespace {

// A configured path: '/' then visible ASCII, no query, fragment or escapes to interpret.
Result<std::string> clean_path(std::string_view path, bool allow_empty, std::string_view what) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) {
    if (allow_empty) return std::string();
    return Error::invalid("rcs: the " + std::string(what) + " path is empty (e.g. /bot/v1)");
  }
  if (path.front() != '/') {
    return Error::invalid("rcs: the " + std::string(what) + " path " + detail::quote(path) +
                          " must start with '/'");
  }
  for (char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#') {
      return Error::invalid("rcs: the " + std::string(what) + " path " + detail::quote(path) +
                            " has a space, a control character, non-ASCII, '?' or '#'");
    }
  }
  return std::string(path);
}

}  // namespace

std::string escape_component(std::string_view bytes) {
  return percent_encode(bytes);
}

Result<ApiPaths> ApiPaths::make(std::string_view api_path, std::string_view bot_id,
                                const Limits& limits) {
  auto path = clean_path(api_path, false, "API");
  if (!path) return path.error();
  if (bot_id.empty() || bot_id.size() > limits.max_string) {
    return Error::invalid("rcs: the bot id must be 1 to " + std::to_string(limits.max_string) +
                          " bytes");
  }
  return ApiPaths(path.value() + "/" + escape_component(bot_id), limits);
}

std::string ApiPaths::messages() const {
  return base_ + "/messages";
}

std::string ApiPaths::files() const {
  return base_ + "/files";
}

Result<std::string> ApiPaths::with_id(std::string_view prefix, std::string_view id,
                                      std::string_view suffix, std::string_view what) const {
  if (id.empty() || id.size() > limits_.max_string) {
    return Error::invalid("rcs: a " + std::string(what) + " must be 1 to " +
                          std::to_string(limits_.max_string) + " bytes");
  }
  std::string out = base_;
  out += prefix;
  out += escape_component(id);
  out += suffix;
  return out;
}

Result<std::string> ApiPaths::message_status(std::string_view msg_id) const {
  return with_id("/messages/", msg_id, "/status", "message id");
}

Result<std::string> ApiPaths::file(std::string_view file_id) const {
  return with_id("/files/", file_id, "", "file id");
}

Result<std::string> ApiPaths::capabilities(std::string_view e164) const {
  auto uc = user_contact_from_e164(e164);
  if (!uc) return uc.error();
  // '+' must be escaped: in a query it would read as a space (form decoding).
  return base_ + "/contactCapabilities?userContact=" + escape_component(uc.value());
}

Result<std::string> token_path(std::string_view root) {
  auto path = clean_path(root, true, "server root");
  if (!path) return path.error();
  return path.value() + "/oauth2/v1/token";
}

}  // namespace passerelle::rcs
