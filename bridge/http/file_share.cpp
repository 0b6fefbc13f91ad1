#include "http/file_share.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <system_error>
#include <vector>

#include "core/percent.hpp"

namespace passerelle {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {
constexpr std::size_t kTokenBytes = 20;           // 160 bits: 32 base32 characters
constexpr std::size_t kMaxIndexLine = 16 * 1024;  // a longer line is not ours: skipped

std::int64_t to_ms(WallClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
WallClock::time_point from_ms(std::int64_t ms) {
  return WallClock::time_point(
      std::chrono::duration_cast<WallClock::duration>(std::chrono::milliseconds(ms)));
}

// `p` resolved, and its path relative to `dir` if it lies strictly inside it.
std::optional<fs::path> inside(const fs::path& dir, const fs::path& p) {
  std::error_code ec;
  const fs::path full = fs::weakly_canonical(p.is_absolute() ? p : dir / p, ec);
  if (ec) return std::nullopt;
  const fs::path rel = full.lexically_relative(dir);
  if (rel.empty() || rel == "." || *rel.begin() == "..") return std::nullopt;
  return full;
}

std::string index_line(const FileShareEntry& e, const fs::path& dir) {
  json::object o;
  o["token"] = e.token;
  o["file"] = e.path.lexically_relative(dir).generic_string();
  o["name"] = e.name;
  o["type"] = e.content_type;
  o["size"] = e.size;
  o["sha256"] = e.sha256;
  o["expires_ms"] = to_ms(e.expires);
  return json::serialize(o) + "\n";
}

std::optional<FileShareEntry> parse_line(const std::string& line, const fs::path& dir) {
  json::error_code ec;
  const json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  const auto* token = o.if_contains("token");
  const auto* file = o.if_contains("file");
  const auto* name = o.if_contains("name");
  const auto* type = o.if_contains("type");
  const auto* size = o.if_contains("size");
  const auto* sha = o.if_contains("sha256");
  const auto* expires = o.if_contains("expires_ms");
  if (!token || !token->is_string() || !file || !file->is_string() || !name || !name->is_string() ||
      !type || !type->is_string() || !size || !sha || !sha->is_string() || !expires)
    return std::nullopt;
  const auto sz = size->if_uint64() ? *size->if_uint64()
                  : size->if_int64() && *size->if_int64() >= 0
                      ? static_cast<std::uint64_t>(*size->if_int64())
                      : std::optional<std::uint64_t>{};
  const auto* ex = expires->if_int64();
  if (!sz || !ex || token->get_string().empty()) return std::nullopt;
  const fs::path rel(std::string(file->get_string()));
  if (rel.is_absolute()) return std::nullopt;
  auto full = inside(dir, rel);
  if (!full) return std::nullopt;
  FileShareEntry e;
  e.token = std::string(token->get_string());
  e.path = std::move(*full);
  e.name = std::string(name->get_string());
  e.content_type = std::string(type->get_string());
  e.size = *sz;
  e.sha256 = std::string(sha->get_string());
  e.expires = from_ms(*ex);
  return e;
}
}  // namespace

std::string base32_lower(const unsigned char* bytes, std::size_t n) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  out.reserve((n * 8 + 4) / 5);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    acc = (acc << 8) | bytes[i];
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (5 - bits)) & 31];
  return out;
}

FileShare::FileShare(fs::path dir, std::string public_base_url, std::size_t max_files,
                     std::function<WallClock::time_point()> clock, std::uint64_t max_bytes)
    : base_url_(std::move(public_base_url)),
      max_files_(max_files),
      max_bytes_(max_bytes),
      clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return WallClock::now(); };
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  std::error_code ec;
  fs::create_directories(dir, ec);
  dir_ = fs::weakly_canonical(fs::absolute(dir), ec);
  if (ec) dir_ = fs::absolute(dir);
  std::lock_guard lock(mu_);
  load_index();
}

void FileShare::load_index() {
  std::ifstream in(dir_ / kIndexName, std::ios::binary);
  std::size_t kept = 0, dropped = 0;
  if (in) {
    std::string line;
    while (std::getline(in, line)) {
      if (line.size() > kMaxIndexLine) {
        ++dropped;
        continue;
      }
      auto e = parse_line(line, dir_);
      std::error_code ec;
      if (!e || !fs::is_regular_file(e->path, ec) || entries_.size() >= max_files_) {
        ++dropped;
        continue;
      }
      entries_.insert_or_assign(e->token, std::move(*e));
    }
  }
  for (const auto& [token, e] : entries_) bytes_ += e.size;
  dropped += remove_expired(clock_());
  kept = entries_.size();
  if (dropped > 0) {
    if (auto st = rewrite_index(); !st.ok()) spdlog::warn("files: {}", st.error().message);
  }
  if (kept > 0 || dropped > 0)
    spdlog::info("files: {} share(s) restored from {}, {} dropped", kept,
                 (dir_ / kIndexName).string(), dropped);
}

Result<SharedFile> FileShare::share(fs::path file, std::string name, std::string content_type,
                                    std::uint64_t size, std::string sha256,
                                    std::chrono::seconds ttl) {
  if (name.empty()) return Error::invalid("files: a shared file needs a name");
  if (ttl.count() <= 0) return Error::invalid("files: the lifetime of a share must be positive");
  auto full = inside(dir_, file);
  if (!full) return Error::invalid("files: " + file.string() + " is not inside " + dir_.string());
  const std::string base = full->filename().string();
  if (base.starts_with(kIndexName))
    return Error::invalid("files: " + base + " is the share index, not a file to share");
  std::error_code ec;
  if (!fs::is_regular_file(*full, ec))
    return Error::invalid("files: " + full->string() + " is not a regular file");
  const auto actual = fs::file_size(*full, ec);
  if (ec || actual != size)
    return Error::invalid("files: " + full->string() + " is " + std::to_string(actual) +
                          " bytes, not " + std::to_string(size));
  unsigned char random[kTokenBytes];
  if (RAND_bytes(random, sizeof random) != 1)
    return Error{Errc::internal, "files: no randomness for a token (RAND_bytes failed)", false, 0};
  FileShareEntry e;
  e.token = base32_lower(random, sizeof random);
  e.path = std::move(*full);
  e.name = std::move(name);
  e.content_type = content_type.empty() ? "application/octet-stream" : std::move(content_type);
  e.size = size;
  e.sha256 = std::move(sha256);

  std::lock_guard lock(mu_);
  const auto now = clock_();
  e.expires = now + ttl;
  if (entries_.size() >= max_files_) {
    if (remove_expired(now) > 0) {
      if (auto st = rewrite_index(); !st.ok()) spdlog::warn("files: {}", st.error().message);
    }
    if (entries_.size() >= max_files_)
      return Error::limit("files: " + std::to_string(max_files_) +
                          " files are shared already; try again when some expire");
  }
  if (auto st = append_index(e); !st.ok()) return st.error();
  SharedFile out{e.token, base_url_ + "/files/" + e.token + "/" + percent_encode(e.name),
                 e.expires};
  bytes_ += e.size;
  entries_.emplace(e.token, std::move(e));
  return out;
}

std::optional<FileShareEntry> FileShare::find(std::string_view token) const {
  std::lock_guard lock(mu_);
  const auto it = entries_.find(std::string(token));
  if (it == entries_.end() || clock_() >= it->second.expires) return std::nullopt;
  return it->second;
}

std::size_t FileShare::sweep(WallClock::time_point now) {
  std::lock_guard lock(mu_);
  const std::size_t removed = remove_expired(now);
  if (removed > 0) {
    if (auto st = rewrite_index(); !st.ok()) spdlog::warn("files: {}", st.error().message);
  }
  return removed;
}

std::size_t FileShare::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

std::uint64_t FileShare::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::uint64_t FileShare::reserved_bytes() const {
  std::lock_guard lock(mu_);
  return reserved_;
}

Result<FileShare::Reservation> FileShare::reserve(std::uint64_t bytes) {
  std::lock_guard lock(mu_);
  auto fits = [&] { return bytes <= max_bytes_ && bytes_ + reserved_ <= max_bytes_ - bytes; };
  if (!fits() && remove_expired(clock_()) > 0) {
    if (auto st = rewrite_index(); !st.ok()) spdlog::warn("files: {}", st.error().message);
  }
  if (!fits())
    return Error::limit("files: no room for " + std::to_string(bytes) + " more bytes: " +
                        std::to_string(bytes_ + reserved_) + " of files.max_bytes (" +
                        std::to_string(max_bytes_) + ") in use until older links expire");
  reserved_ += bytes;
  return Reservation(this, bytes);
}

void FileShare::Reservation::release() {
  if (owner_ == nullptr) return;
  std::lock_guard lock(owner_->mu_);
  owner_->reserved_ -= std::min(owner_->reserved_, bytes_);
  owner_ = nullptr;
}

FileShare::Reservation& FileShare::Reservation::operator=(Reservation&& o) noexcept {
  if (this != &o) {
    release();
    owner_ = o.owner_;
    bytes_ = o.bytes_;
    o.owner_ = nullptr;
  }
  return *this;
}

// Caller holds mu_.
std::size_t FileShare::remove_expired(WallClock::time_point now) {
  std::vector<fs::path> candidates;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now >= it->second.expires) {
      bytes_ -= std::min(bytes_, it->second.size);
      candidates.push_back(std::move(it->second.path));
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  if (candidates.empty()) return 0;
  std::set<fs::path> live;
  for (const auto& [token, e] : entries_) live.insert(e.path);
  for (const auto& p : candidates) {
    if (live.count(p)) continue;
    std::error_code ec;
    fs::remove(p, ec);
    if (ec) spdlog::warn("files: cannot delete expired {}: {}", p.string(), ec.message());
  }
  return candidates.size();
}

// Caller holds mu_.
Status FileShare::append_index(const FileShareEntry& e) {
  std::ofstream out(dir_ / kIndexName, std::ios::binary | std::ios::app);
  out << index_line(e, dir_);
  out.flush();
  if (!out)
    return Error{Errc::internal, "files: cannot append to " + (dir_ / kIndexName).string(), false,
                 0};
  return {};
}

// Caller holds mu_. Written beside the index and renamed over it, so a crash leaves one or
// the other whole.
Status FileShare::rewrite_index() {
  const fs::path target = dir_ / kIndexName;
  const fs::path tmp = dir_ / (std::string(kIndexName) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    for (const auto& [token, e] : entries_) out << index_line(e, dir_);
    out.flush();
    if (!out) return Error{Errc::internal, "files: cannot write " + tmp.string(), false, 0};
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec)
    return Error{Errc::internal, "files: cannot replace " + target.string() + ": " + ec.message(),
                 false, 0};
  return {};
}

}  // namespace passerelle
