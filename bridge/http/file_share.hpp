#pragma once
// Files the bridge offers to other networks as links (a file an RCS phone sent, shown to an
// XMPP user as a XEP-0066 URL, to an SMS user as a short link). The registry maps an
// unguessable token to a file in one directory, with an expiry; the admin server serves
// GET/HEAD /files/{token}/{name} from it (admin_server.hpp, set_file_share).
//
// Thread-safe: every member takes one mutex. share() and sweep() do blocking disk I/O (append
// a line to the index; delete files and rewrite the index), so call them where a few
// milliseconds of disk do not stall a network strand. find() only reads memory.
//
// Persistence: `dir`/.passerelle-shares.jsonl holds one JSON object per share; it is read at
// construction (expired entries and those whose file is gone are dropped, expired files
// deleted), appended by share() and rewritten by sweep() when something was removed.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"

namespace passerelle {

using WallClock = std::chrono::system_clock;

struct SharedFile {
  std::string token;  // 32 characters of base32 (a-z, 2-7): 160 bits from RAND_bytes
  std::string url;    // {public_base_url}/files/{token}/{percent-encoded name}
  WallClock::time_point expires;
};

struct FileShareEntry {
  std::string token;
  std::filesystem::path path;  // absolute, inside the share directory
  std::string name;            // as given to share(); the URL's last segment decodes to it
  std::string content_type;
  std::uint64_t size = 0;
  std::string sha256;  // lower-case hex; served as the ETag
  WallClock::time_point expires;
};

class FileShare {
 public:
  static constexpr const char* kIndexName = ".passerelle-shares.jsonl";

  // `dir` must exist (or be creatable). `public_base_url` is how other networks reach the
  // admin server ("https://files.example.org"; a trailing '/' is dropped). `clock` gives
  // the time find() and share() use; empty means the system clock (tests pass their own).
  FileShare(std::filesystem::path dir, std::string public_base_url, std::size_t max_files = 100000,
            std::function<WallClock::time_point()> clock = {},
            std::uint64_t max_bytes = std::uint64_t{4} << 30);
  FileShare(const FileShare&) = delete;
  FileShare& operator=(const FileShare&) = delete;

  // Room held in the directory for a file while it arrives (max_bytes counts it with the
  // shared files), given back when the reservation is dropped: share the file first.
  class Reservation {
   public:
    Reservation() = default;
    Reservation(Reservation&& o) noexcept : owner_(o.owner_), bytes_(o.bytes_) {
      o.owner_ = nullptr;
    }
    Reservation& operator=(Reservation&& o) noexcept;
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;
    ~Reservation() { release(); }
    void release();

   private:
    friend class FileShare;
    Reservation(FileShare* owner, std::uint64_t bytes) : owner_(owner), bytes_(bytes) {}
    FileShare* owner_ = nullptr;
    std::uint64_t bytes_ = 0;
  };
  // Room for `bytes` more, after forgetting expired shares if that makes room. Error limit
  // when it does not fit; the message says how much is in use. The FileShare must outlive
  // the reservation.
  Result<Reservation> reserve(std::uint64_t bytes);

  // Registers `file` (a regular file inside `dir`, `size` bytes long) under a new token
  // for `ttl`. Errors: invalid (file outside dir, missing, size differs, empty name, ttl not
  // positive), limit (max_files live shares), internal (no randomness, index not writable).
  Result<SharedFile> share(std::filesystem::path file, std::string name, std::string content_type,
                           std::uint64_t size, std::string sha256, std::chrono::seconds ttl);

  // The entry if the token is known and not expired at the clock's now.
  std::optional<FileShareEntry> find(std::string_view token) const;

  // Forgets every share expired at `now` and deletes its file (unless a live share still
  // points at the same file). Returns how many shares were removed.
  std::size_t sweep(WallClock::time_point now);

  std::size_t size() const;
  // Bytes of the live shares, and of the reservations.
  std::uint64_t bytes() const;
  std::uint64_t reserved_bytes() const;
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& public_base_url() const { return base_url_; }

 private:
  void load_index();
  Status append_index(const FileShareEntry& e);
  Status rewrite_index();
  std::size_t remove_expired(WallClock::time_point now);

  std::filesystem::path dir_;
  std::string base_url_;
  std::size_t max_files_;
  std::uint64_t max_bytes_;
  std::uint64_t bytes_ = 0;     // of entries_
  std::uint64_t reserved_ = 0;  // held by reservations
  std::function<WallClock::time_point()> clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, FileShareEntry> entries_;
};

// base32 (RFC 4648 alphabet, lower case, no padding) of `bytes`.
std::string base32_lower(const unsigned char* bytes, std::size_t n);

}  // namespace passerelle
