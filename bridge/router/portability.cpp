#include "router/portability.hpp"

#include <fmt/format.h>

#include "config/values.hpp"

namespace passerelle {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Result<PortabilityTable> PortabilityTable::parse(std::string_view text,
                                                 std::string_view name_for_errors, KnownName known,
                                                 const void* ctx) {
  PortabilityTable t;
  std::size_t line_no = 0;
  auto fail = [&](const std::string& what) {
    return Error::invalid(fmt::format("{}:{}: {}", name_for_errors, line_no, what));
  };
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    std::string_view fields[3];
    std::size_t n = 0;
    for (;;) {
      const auto comma = line.find(',');
      if (n == 3) return fail("too many fields: expected number,platform,smsc");
      fields[n++] = trim(line.substr(0, comma));
      if (comma == std::string_view::npos) break;
      line.remove_prefix(comma + 1);
    }
    if (line_no == 1 || t.entries_.empty())
      if (fields[0] == "number") continue;  // a header
    if (!config::is_e164(fields[0]))
      return fail(fmt::format("\"{}\" is not an E.164 number (+ and 8 to 15 digits)",
                              std::string(fields[0].substr(0, 40))));
    if (fields[1].empty() && fields[2].empty())
      return fail("a ported number names its platform, its SMSC, or both");
    if (known != nullptr) {
      if (!fields[1].empty() && !known(ctx, "platform", fields[1]))
        return fail(fmt::format("no [[rcs.platform]] is named \"{}\"", fields[1]));
      if (!fields[2].empty() && !known(ctx, "smsc", fields[2]))
        return fail(fmt::format("no [[sms.smsc]] is named \"{}\"", fields[2]));
    }
    if (t.entries_.size() >= kMaxEntries)
      return fail(fmt::format("more than {} numbers", kMaxEntries));
    auto [it, fresh] = t.entries_.try_emplace(
        std::string(fields[0]), PortedNumber{std::string(fields[1]), std::string(fields[2])});
    if (!fresh) return fail(fmt::format("{} is listed twice", it->first));
  }
  return t;
}

std::optional<PortedNumber> PortabilityTable::find(const std::string& e164) const {
  auto it = entries_.find(e164);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

}  // namespace passerelle
