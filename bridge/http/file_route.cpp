#include "http/file_route.hpp"

#include <charconv>

#include "core/percent.hpp"

namespace passerelle::files {

namespace {
constexpr std::string_view kPrefix = "/files/";

std::optional<std::uint64_t> number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

bool is_files_target(std::string_view target) {
  return target.starts_with(kPrefix);
}

std::optional<Target> parse_target(std::string_view target) {
  if (!is_files_target(target)) return std::nullopt;
  target = target.substr(0, target.find('?'));
  target.remove_prefix(kPrefix.size());
  const auto slash = target.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  const std::string_view token = target.substr(0, slash);
  const std::string_view name = target.substr(slash + 1);
  if (name.empty() || name.find('/') != std::string_view::npos) return std::nullopt;
  auto decoded = percent_decode(name);
  if (!decoded) return std::nullopt;
  return Target{std::string(token), std::move(*decoded)};
}

RangeAnswer parse_range(std::string_view header, std::uint64_t size) {
  header = trim(header);
  constexpr std::string_view kUnit = "bytes=";
  if (!header.starts_with(kUnit)) return {};
  const std::string_view spec = trim(header.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return {};  // several ranges: whole file
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  const std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
  if (a.empty()) {  // suffix: the last N bytes
    const auto n = number(b);
    if (!n) return {};
    if (*n == 0 || size == 0) return {RangeKind::unsatisfiable, {}};
    const std::uint64_t len = *n < size ? *n : size;
    return {RangeKind::partial, {size - len, len}};
  }
  const auto first = number(a);
  if (!first) return {};
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!b.empty()) {
    const auto l = number(b);
    if (!l || *l < *first) return {};  // bad syntax: ignored
    if (*l < last) last = *l;
  }
  if (*first >= size) return {RangeKind::unsatisfiable, {}};
  return {RangeKind::partial, {*first, last - *first + 1}};
}

std::string content_disposition(std::string_view name) {
  return "attachment; filename*=UTF-8''" + percent_encode(name);
}

}  // namespace passerelle::files
