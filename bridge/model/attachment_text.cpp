#include "model/attachment_text.hpp"

#include <fmt/format.h>

namespace passerelle {

std::string human_size(std::uint64_t bytes) {
  if (bytes < 1000) return fmt::format("{} bytes", bytes);
  if (bytes < 1000 * 1000) return fmt::format("{:.1f} kB", static_cast<double>(bytes) / 1e3);
  if (bytes < 1000ULL * 1000 * 1000)
    return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
  return fmt::format("{:.1f} GB", static_cast<double>(bytes) / 1e9);
}

std::string attachment_line(const Attachment& a) {
  std::string line = a.name.empty() ? std::string("file") : a.name;
  if (a.size > 0) line += " (" + human_size(a.size) + ")";
  line += ": ";
  line += a.url;
  return line;
}

std::string with_attachment_lines(std::string body, const std::vector<Attachment>& attachments) {
  for (const auto& a : attachments) {
    if (a.url.empty() || body.find(a.url) != std::string::npos) continue;
    if (!body.empty() && body.back() != ' ') body += '\n';
    body += attachment_line(a);
  }
  return body;
}

}  // namespace passerelle
