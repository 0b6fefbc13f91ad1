#include "smpp/connector/part_journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

namespace passerelle::smpp {
namespace {

Error io_error(const std::filesystem::path& file, const char* what) {
  return Error{
      Errc::internal,
      std::string("SMS part journal ") + file.string() + ": " + what + ": " + std::strerror(errno),
      false, 0};
}

}  // namespace

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
