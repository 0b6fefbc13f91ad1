#include "smpp/codec/part_record.hpp"

#include <charconv>
#include <vector>

#include "core/hex.hpp"

namespace passerelle::smpp {
namespace {

std::string hex(const std::string& s) {
  return s.empty() ? std::string("-") : to_hex(s.data(), s.size());
}

bool unhex(std::string_view h, std::string& out) {
  if (h == "-") {
    out.clear();
    return true;
  }
  return from_hex(h, out);
}

template <typename T>
bool number(std::string_view s, T& out, unsigned lo, unsigned hi) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) return false;
  out = static_cast<T>(v);
  return true;
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    const auto sp = line.find(' ');
    out.push_back(line.substr(0, sp));
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  return out;
}

}  // namespace

std::string journal_part_line(const Part& p) {
  const Concat c = p.concat.value_or(Concat{});
  return "P " + hex(p.source) + ' ' + hex(p.destination) + ' ' + std::to_string(c.ref) + ' ' +
         (c.ref_size == RefSize::bits16 ? "16" : "8") + ' ' + std::to_string(c.total) + ' ' +
         std::to_string(c.seq) + ' ' + std::to_string(p.data_coding) + ' ' + hex(p.data) + '\n';
}

std::string journal_done_line(const std::string& source, const std::string& destination,
                              std::uint16_t ref, std::uint8_t total) {
  return "D " + hex(source) + ' ' + hex(destination) + ' ' + std::to_string(ref) + ' ' +
         std::to_string(total) + '\n';
}

std::optional<JournalRecord> parse_journal_line(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  const auto f = fields(line);
  JournalRecord r;
  Concat c;
  if (f.size() == 9 && f[0] == "P") {
    unsigned ref_bits = 0;
    if (!unhex(f[1], r.part.source) || !unhex(f[2], r.part.destination) ||
        !number(f[3], c.ref, 0, 65535) || !number(f[4], ref_bits, 8, 16) ||
        (ref_bits != 8 && ref_bits != 16) || !number(f[5], c.total, 1, 255) ||
        !number(f[6], c.seq, 1, c.total) || !number(f[7], r.part.data_coding, 0, 255) ||
        !unhex(f[8], r.part.data))
      return std::nullopt;
    if (ref_bits == 8 && c.ref > 255) return std::nullopt;
    c.ref_size = ref_bits == 16 ? RefSize::bits16 : RefSize::bits8;
    r.part.concat = c;
    return r;
  }
  if (f.size() == 5 && f[0] == "D") {
    if (!unhex(f[1], r.part.source) || !unhex(f[2], r.part.destination) ||
        !number(f[3], c.ref, 0, 65535) || !number(f[4], c.total, 1, 255))
      return std::nullopt;
    r.done = true;
    r.part.concat = c;
    return r;
  }
  return std::nullopt;
}

}  // namespace passerelle::smpp
