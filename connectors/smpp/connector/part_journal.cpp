#include "smpp/connector/part_journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>

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

Error io_error(const std::filesystem::path& file, const char* what) {
  return Error{
      Errc::internal,
      std::string("SMS part journal ") + file.string() + ": " + what + ": " + std::strerror(errno),
      false, 0};
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

PartJournal::~PartJournal() {
  if (fd_ >= 0) ::close(fd_);
}

std::string PartJournal::key(const std::string& source, const std::string& destination,
                             std::uint16_t ref, std::uint8_t total) {
  return source + '\n' + destination + '\n' + std::to_string(ref) + '\n' + std::to_string(total);
}

Result<std::vector<Part>> PartJournal::recover() {
  std::vector<Part> parts;
  if (file_.empty()) return parts;
  {
    std::ifstream in(file_, std::ios::binary);
    std::string line;
    // Parts by message, in file order; a done record forgets the message's parts so far.
    std::map<std::string, std::vector<std::size_t>> by_key;
    std::vector<std::optional<Part>> all;
    while (in && std::getline(in, line)) {
      auto r = parse_journal_line(line);
      if (!r) continue;  // a torn write
      const auto k =
          key(r->part.source, r->part.destination, r->part.concat->ref, r->part.concat->total);
      if (r->done) {
        for (auto i : by_key[k]) all[i].reset();
        by_key.erase(k);
        continue;
      }
      by_key[k].push_back(all.size());
      all.push_back(std::move(r->part));
    }
    for (auto& p : all)
      if (p) parts.push_back(std::move(*p));
    for (const auto& [k, idx] : by_key) live_.insert(k);
  }
  // Rewritten with only what is still needed, beside the file and renamed over it.
  std::error_code ec;
  if (parts.empty()) {
    std::filesystem::remove(file_, ec);
    return parts;
  }
  const auto tmp = std::filesystem::path(file_.string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    for (const auto& p : parts) out << journal_part_line(p);
    out.flush();
    if (!out) return io_error(tmp, "cannot write");
  }
  std::filesystem::rename(tmp, file_, ec);
  if (ec)
    return Error{Errc::internal,
                 "SMS part journal: cannot replace " + file_.string() + ": " + ec.message(), false,
                 0};
  return parts;
}

Status PartJournal::open_for_append() {
  if (fd_ >= 0) return {};
  fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return io_error(file_, "cannot open");
  return {};
}

Status PartJournal::append(const std::string& line, bool sync) {
  if (auto st = open_for_append(); !st.ok()) return st;
  std::size_t off = 0;
  while (off < line.size()) {
    const auto n = ::write(fd_, line.data() + off, line.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(file_, "cannot write");
    }
    off += static_cast<std::size_t>(n);
  }
  if (sync && ::fdatasync(fd_) != 0) return io_error(file_, "cannot sync");
  return {};
}

Status PartJournal::add(const Part& p) {
  if (file_.empty() || !p.concat) return {};
  if (auto st = append(journal_part_line(p), /*sync=*/true); !st.ok()) return st;
  live_.insert(key(p.source, p.destination, p.concat->ref, p.concat->total));
  return {};
}

Status PartJournal::done(const std::string& source, const std::string& destination,
                         std::uint16_t ref, std::uint8_t total) {
  if (file_.empty() || live_.erase(key(source, destination, ref, total)) == 0) return {};
  if (live_.empty()) {
    // Nothing left to keep: start the file again rather than let it grow.
    if (open_for_append().ok() && ::ftruncate(fd_, 0) == 0) return {};
  }
  // Synced too: parts that came back after a crash would wait in the reassembler for
  // nothing, and could join a later message that happens to reuse the reference.
  return append(journal_done_line(source, destination, ref, total), /*sync=*/true);
}

}  // namespace passerelle::smpp
