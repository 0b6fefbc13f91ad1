// Files to phones (rcs_connector.hpp): a message from another network carrying a file
// (a XEP-0066 link from XMPP, a file another phone sent) goes to the phone as an RCS file.
// The file is uploaded to the platform from disk: a file the bridge shares is read where
// it is; any other link is fetched into the files directory first (streamed, at most the
// platform's max_file_size) and deleted after the upload. The phone then gets a line
// saying who sent it (msgId <delivery id>.t) and the file (msgId <delivery id>, whose
// status events are the delivery's). A file the platform will not take goes as a link.

#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>

#include "core/ulid.hpp"
#include "model/attachment_text.hpp"
#include "rcs/codec/http_status.hpp"
#include "rcs/codec/message.hpp"
#include "rcs/connector/rcs_connector.hpp"
#include "rcs/session/platform_client.hpp"

namespace passerelle::rcs {
namespace asio = boost::asio;

namespace {

// How long an upload answered 202 may take to be reported ready (fileStatus event).
constexpr auto kFileReadyTimeout = std::chrono::seconds(60);

// The share behind one of the bridge's own links, if `url` is one.
std::optional<FileShareEntry> shared_file(const FileShare& files, const std::string& url) {
  const std::string prefix = files.public_base_url() + "/files/";
  if (url.rfind(prefix, 0) != 0) return std::nullopt;
  const std::string rest = url.substr(prefix.size());
  return files.find(rest.substr(0, rest.find('/')));
}

// The last segment of a URL's path, or "file".
std::string name_from_url(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  const auto slash = path.rfind('/');
  std::string name = slash == std::string::npos ? std::string() : path.substr(slash + 1);
  const auto scheme = url.find("://");
  if (name.empty() || (scheme != std::string::npos && slash <= scheme + 2)) return "file";
  return name;
}

// What the phone reads before the file: the message with the file's link replaced by its
// name ("[XMPP] alice@example.org: photo.jpg"), other attachments as links.
std::string caption_for(std::string body, const std::vector<Attachment>& attachments) {
  const Attachment& a = attachments.front();
  const std::string name = a.name.empty() ? name_from_url(a.url) : a.name;
  if (const auto pos = body.find(a.url); pos != std::string::npos)
    body.replace(pos, a.url.size(), name);
  else
    body += body.empty() || body.back() == ' ' ? name : " " + name;
  return with_attachment_lines(std::move(body),
                               std::vector<Attachment>(attachments.begin() + 1, attachments.end()));
}

struct RemoveOnExit {
  std::filesystem::path path;
  ~RemoveOnExit() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove(path, ec);
  }
};

}  // namespace

asio::awaitable<void> RcsConnector::deliver_file(OutboundMessage m,
                                                 std::shared_ptr<PlatformClient> client) {
  const std::string number = m.to.id;
  auto file = co_await upload(m.attachments.front(), client);
  if (stopping_) co_return;
  if (!file.ok()) {
    if (file.error().retryable) {
      report({{},
              m.delivery_id,
              {},
              DeliveryState::failed,
              {},
              file.error().message,
              file.error().protocol_status,
              true});
      co_return;
    }
    spdlog::info("{}: file to {} not sent as a file ({}); sent as a link", name_, number,
                 file.error().message);
    auto text = build_text_message(Envelope{number, m.delivery_id, {}},
                                   TextMessage{with_attachment_lines(m.body, m.attachments), {}});
    co_await send_body(m, std::move(text), std::move(client));
    co_return;
  }
  std::optional<FileRef> thumbnail;
  if (m.attachments.front().thumbnail) {
    Thumbnail t = *m.attachments.front().thumbnail;
    thumbnail = co_await upload_thumbnail(std::move(t), client);
    if (stopping_) co_return;
  }
  // Who it is from first: a failure here is the delivery's (retried, or SMS instead).
  const std::string caption_id = m.delivery_id + ".t";
  auto caption = build_text_message(Envelope{number, caption_id, {}},
                                    TextMessage{caption_for(m.body, m.attachments), {}});
  if (caption.ok()) {
    const HttpAnswer a = co_await post(client, caption_id, std::move(*caption));
    if (stopping_) co_return;
    if (classify(Call::send, a.status) != Outcome::ok) {
      on_send_answer(m, a, client);
      co_return;
    }
  }
  auto body = build_file_message(Envelope{number, m.delivery_id, {}},
                                 FileMessage{*file, std::move(thumbnail), {}});
  co_await send_body(m, std::move(body), std::move(client));
}

asio::awaitable<Result<FileRef>> RcsConnector::upload(const Attachment& a,
                                                      std::shared_ptr<PlatformClient> client) {
  const auto limit = static_cast<std::uint64_t>(platform_.max_file_size);
  const std::string too_large =
      "larger than " + platform_.name + " takes (" + human_size(limit) + ")";
  FileRef ref{{}, a.name, a.content_type, a.size};
  std::filesystem::path path;
  FileShare::Reservation held;  // declared first: given back once the file is removed
  RemoveOnExit temporary;
  if (auto local = shared_file(*files_, a.url)) {
    path = local->path;
    ref.name = local->name;
    ref.mime_type = local->content_type;
    ref.size = local->size;
  } else {
    if (a.size > limit) co_return Error::limit(too_large);
    // Fetched into files.dir for the upload: held within files.max_bytes meanwhile.
    auto room = files_->reserve(a.size > 0 ? a.size : limit);
    if (!room.ok()) co_return Error::transient(room.error().message);
    held = std::move(*room);
    path = files_->dir() / ("out-" + new_ulid());
    temporary.path = path;
    std::string url = a.url;
    std::string target = path.string();
    auto got = co_await client->download(url, target, limit, disk_);
    if (!got.ok()) co_return got.error();
    ref.size = got->size;
    if (ref.mime_type.empty()) ref.mime_type = got->content_type;
  }
  if (ref.size && *ref.size > limit) co_return Error::limit(too_large);
  if (ref.name.empty()) ref.name = name_from_url(a.url);
  if (ref.mime_type.empty()) ref.mime_type = "application/octet-stream";
  std::string source = path.string();
  const HttpAnswer answer = co_await client->upload_file(source, ref.name, ref.mime_type);
  note_answer(answer.status, answer.error);
  switch (classify(Call::upload, answer.status)) {
    case Outcome::ok: {
      auto up = parse_upload_answer(answer.body, answer.location);
      if (!up.ok()) co_return Error::transient("unreadable upload answer: " + up.error().message);
      FileObject f;
      if (up->file && !up->file->file_url.empty() &&
          (up->file->status.empty() || up->file->ready())) {
        f = *up->file;
      } else {
        auto ready = co_await wait_file_ready(up->file_id);
        if (!ready.ok()) co_return ready.error();
        f = *ready;
      }
      ref.url = f.file_url;
      if (f.file_size) ref.size = f.file_size;
      co_return ref;
    }
    case Outcome::retryable:
      co_return Error::transient("uploading the file: " + answer_words(answer), answer.status);
    default: {
      Error e = to_error(Call::upload, answer.status, parse_error_body(answer.body));
      e.message = "uploading the file: " + answer_words(answer);
      if (answer.invalid_request) e.retryable = false;
      co_return e;
    }
  }
}

// The file's thumbnail uploaded beside it; none when the platform will not take it (the
// file goes without).
asio::awaitable<std::optional<FileRef>> RcsConnector::upload_thumbnail(
    Thumbnail t, std::shared_ptr<PlatformClient> client) {
  const Attachment a{"thumbnail", t.content_type, t.size, {}, t.url, std::nullopt};
  auto up = co_await upload(a, std::move(client));
  if (!up.ok()) {
    spdlog::info("{}: thumbnail not uploaded ({}); the file goes without it", name_,
                 up.error().message);
    co_return std::nullopt;
  }
  co_return *up;
}

asio::awaitable<Result<FileObject>> RcsConnector::wait_file_ready(std::string file_id) {
  if (file_id.empty()) co_return Error::transient("the upload answer names no file");
  if (!file_status_.count(file_id)) {
    auto timer = std::make_shared<asio::steady_timer>(strand_);
    timer->expires_after(kFileReadyTimeout);
    upload_waiters_[file_id] = timer;
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    upload_waiters_.erase(file_id);
  }
  auto it = file_status_.find(file_id);
  if (it == file_status_.end())
    co_return Error::transient("the platform did not report the uploaded file ready in time");
  FileObject f = std::move(it->second);
  file_status_.erase(it);
  if (!f.ready() || f.file_url.empty())
    co_return Error::invalid("the platform did not accept the file (status \"" + f.status + "\")");
  co_return f;
}

void RcsConnector::on_file_status(const FileObject& f) {
  if (f.file_id.empty()) return;
  if (file_status_.size() >= kRecentFiles) file_status_.erase(file_status_.begin());
  file_status_[f.file_id] = f;
  if (auto it = upload_waiters_.find(f.file_id); it != upload_waiters_.end()) it->second->cancel();
}

}  // namespace passerelle::rcs
