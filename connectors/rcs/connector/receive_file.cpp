// Files from phones (rcs_connector.hpp): fetched from the platform into the files
// directory, shared as a link, bridged as a message carrying it.

#include <spdlog/spdlog.h>

#include <filesystem>

#include "core/ulid.hpp"
#include "model/attachment_text.hpp"
#include "rcs/connector/rcs_connector.hpp"
#include "rcs/session/platform_client.hpp"

namespace passerelle::rcs {
namespace asio = boost::asio;

namespace {

// The name the link ends with: the phone's, without path separators or control characters.
std::string link_name(const FileRef& f) {
  std::string name = f.name.empty() ? std::string("file") : f.name;
  for (char& c : name)
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
  if (name == "." || name == "..") name = "file";
  return name;
}

// "[sent a file "x.jpg", 2.5 MB, image/jpeg: <why>]": what the user sees instead of a link.
std::string told_in_words(const FileRef& f, const std::string& why) {
  std::string out = "[sent a file";
  if (!f.name.empty()) out += " \"" + f.name + "\"";
  if (f.size) out += ", " + human_size(*f.size);
  if (!f.mime_type.empty()) out += ", " + f.mime_type;
  return out + ": " + why + "]";
}

}  // namespace

asio::awaitable<void> RcsConnector::receive_file(Address bot, InboundFile f) {
  const auto limit = static_cast<std::uint64_t>(platform_.max_file_size);
  if (f.file.size && *f.file.size > limit) {
    spdlog::info("{}: file from {} is {}, over max_file_size ({}); told in words", name_,
                 f.contact.number, human_size(*f.file.size), human_size(limit));
    finish_file(bot, f,
                told_in_words(f.file, "larger than this bridge relays (" + human_size(limit) + ")"),
                {});
    co_return;
  }
  // Room in files.dir for what the event announces, else for the most it may be.
  auto room = files_->reserve(f.file.size.value_or(limit));
  if (!room.ok()) {
    spdlog::warn("{}: file from {} not kept: {}; raise files.max_bytes or lower files.ttl_s", name_,
                 f.contact.number, room.error().message);
    finish_file(bot, f, told_in_words(f.file, "the bridge has no room for it right now"), {});
    co_return;
  }
  FileShare::Reservation held = std::move(*room);  // until the file is shared or removed
  const std::filesystem::path path = files_->dir() / ("rcs-" + new_ulid());
  std::string target = path.string();
  auto got = co_await client_->download(f.file.url, target, limit, disk_);
  if (stopping_) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    fail_file(f.msg_id, Error::transient("the bridge is stopping"));
    co_return;
  }
  if (!got.ok()) {
    if (got.error().retryable) {
      spdlog::warn("{}: fetching a file from {}: {}; the platform will send the event again", name_,
                   f.contact.number, got.error().message);
      fail_file(f.msg_id, Error::transient("fetching the file: " + got.error().message));
      co_return;
    }
    spdlog::warn("{}: file from {} cannot be fetched: {}", name_, f.contact.number,
                 got.error().message);
    // An event without fileSize: the limit shows only while fetching.
    finish_file(
        bot, f,
        told_in_words(f.file, got.error().code == Errc::limit_exceeded
                                  ? "larger than this bridge relays (" + human_size(limit) + ")"
                                  : std::string("it could not be fetched")),
        {});
    co_return;
  }
  std::error_code ec;
  if (f.file.size && *f.file.size != got->size) {
    std::filesystem::remove(path, ec);
    spdlog::warn("{}: file from {}: {} bytes received, {} announced; asking for it again", name_,
                 f.contact.number, got->size, *f.file.size);
    fail_file(f.msg_id, Error::transient("the file is " + std::to_string(got->size) +
                                         " bytes, the event says " + std::to_string(*f.file.size)));
    co_return;
  }
  std::string type = !f.file.mime_type.empty()    ? f.file.mime_type
                     : !got->content_type.empty() ? got->content_type
                                                  : std::string("application/octet-stream");
  const std::string name = link_name(f.file);
  // A line appended to the share index: a few milliseconds of disk on this strand.
  auto shared = files_->share(path, name, type, got->size, got->sha256, file_ttl_);
  if (!shared.ok()) {
    std::filesystem::remove(path, ec);
    spdlog::warn("{}: file from {} cannot be shared: {}", name_, f.contact.number,
                 shared.error().message);
    finish_file(bot, f, told_in_words(f.file, "it could not be shared"), {});
    co_return;
  }
  spdlog::info("{}: file from {} ({}, sha256 {}) shared until its link expires", name_,
               f.contact.number, human_size(got->size), got->sha256);
  Attachment a{name, std::move(type), got->size, got->sha256, shared->url, std::nullopt};
  if (f.thumbnail) {
    FileRef t = *f.thumbnail;
    std::string number = f.contact.number;
    a.thumbnail = co_await receive_thumbnail(std::move(t), std::move(number));
    if (stopping_) {
      fail_file(f.msg_id, Error::transient("the bridge is stopping"));
      co_return;
    }
  }
  recent_files_[f.msg_id] = a;
  recent_order_.push_back(f.msg_id);
  if (recent_order_.size() > kRecentFiles) {
    recent_files_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
  finish_file(bot, f, {}, {std::move(a)});
}

// The picture the phone shows before the file, fetched and shared beside it, so that a
// phone on another carrier gets it too. Without it (too large, not fetched) the file
// goes all the same.
asio::awaitable<std::optional<Thumbnail>> RcsConnector::receive_thumbnail(FileRef t,
                                                                          std::string number) {
  const auto limit =
      std::min(kMaxThumbnailBytes, static_cast<std::uint64_t>(platform_.max_file_size));
  if (t.size && *t.size > limit) {
    spdlog::info("{}: thumbnail from {} is {}, over {}; the file goes without it", name_, number,
                 human_size(*t.size), human_size(limit));
    co_return std::nullopt;
  }
  auto room = files_->reserve(t.size.value_or(limit));
  if (!room.ok()) co_return std::nullopt;
  FileShare::Reservation held = std::move(*room);
  const std::filesystem::path path = files_->dir() / ("rcs-" + new_ulid());
  std::string target = path.string();
  auto got = co_await client_->download(t.url, target, limit, disk_);
  std::error_code ec;
  if (!got.ok() || stopping_) {
    std::filesystem::remove(path, ec);
    if (!got.ok())
      spdlog::info("{}: thumbnail from {} not fetched ({}); the file goes without it", name_,
                   number, got.error().message);
    co_return std::nullopt;
  }
  std::string type = !t.mime_type.empty()         ? t.mime_type
                     : !got->content_type.empty() ? got->content_type
                                                  : std::string("application/octet-stream");
  if (t.name.empty()) t.name = "thumbnail";
  auto shared = files_->share(path, link_name(t), type, got->size, got->sha256, file_ttl_);
  if (!shared.ok()) {
    std::filesystem::remove(path, ec);
    co_return std::nullopt;
  }
  co_return Thumbnail{shared->url, std::move(type), got->size};
}

// Bridges the file's message; every copy of its event waiting is answered on its commit.
void RcsConnector::finish_file(const Address& bot, const InboundFile& f, std::string body,
                               std::vector<Attachment> attachments) {
  auto it = fetching_.find(f.msg_id);
  if (it == fetching_.end()) return;
  auto waiting = std::move(it->second);
  fetching_.erase(it);
  publish_message(bot, f, std::move(body), std::move(attachments), [waiting](Status st) {
    for (const auto& done : waiting) done(st);
  });
}

void RcsConnector::fail_file(const std::string& msg_id, const Error& e) {
  auto it = fetching_.find(msg_id);
  if (it == fetching_.end()) return;
  auto waiting = std::move(it->second);
  fetching_.erase(it);
  for (const auto& done : waiting) done(e);
}

}  // namespace passerelle::rcs
