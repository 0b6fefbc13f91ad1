// PlatformClient: files, streamed both ways (never held whole in memory).
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "core/hex.hpp"
#include "rcs/codec/answers.hpp"
#include "rcs/codec/http_status.hpp"
#include "rcs/codec/upload.hpp"
#include "rcs/session/connection.hpp"
#include "rcs/session/platform_client.hpp"

namespace passerelle::rcs {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace fs = std::filesystem;

namespace {

// A boundary that cannot be guessed from the file's content (RFC 2046 §5.1.1).
std::string random_boundary() {
  unsigned char raw[16];
  std::string out = "passerelle-";
  if (RAND_bytes(raw, sizeof raw) != 1) {
    // No entropy: a boundary made of the time still differs per upload; the file would
    // have to contain it to break the framing.
    out += std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
    return out;
  }
  return out + to_hex(raw, sizeof raw);
}

HttpAnswer refused(std::string why) {
  HttpAnswer a;
  a.error = std::move(why);
  a.invalid_request = true;
  return a;
}

struct Sha256 {
  Sha256() : ctx(EVP_MD_CTX_new()) { ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256() { EVP_MD_CTX_free(ctx); }
  void update(std::string_view d) { ok = ok && EVP_DigestUpdate(ctx, d.data(), d.size()); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!ok || EVP_DigestFinal_ex(ctx, md, &n) != 1) return {};
    return to_hex(md, n);
  }
  EVP_MD_CTX* ctx;
  bool ok = false;
};

}  // namespace

asio::awaitable<HttpAnswer> PlatformClient::upload_file(std::string path, std::string file_name,
                                                        std::string mime_type) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) co_return refused(ep_.name + ": upload: cannot read " + path + ": " + ec.message());
  UploadForm form;
  form.file_type = std::move(mime_type);
  form.file_name = std::move(file_name);
  auto up = build_upload(form, random_boundary(), limits_);
  if (!up) co_return refused(ep_.name + ": " + up.error().message);
  Op op = api_op("upload", http::verb::post, paths_.files());
  op.content_type = std::move(up->content_type);
  op.body = std::move(up->head);
  op.file_path = std::move(path);
  op.file_size = size;
  op.tail = std::move(up->tail);
  op.transfer = true;
  auto call = spawn(std::move(op));
  co_return co_await std::move(call);
}

asio::awaitable<Result<PlatformClient::Downloaded>> PlatformClient::download(
    std::string url, std::string path, std::uint64_t max_bytes, asio::any_io_executor disk) {
  // co_spawn needs a default-constructible result: the Result travels in an optional. (The
  // function is a named local: GCC 12 destroys a temporary lambda in a co_await twice.)
  auto run = [self = shared_from_this(), url = std::move(url), path = std::move(path), max_bytes,
              disk = std::move(disk)]() -> asio::awaitable<std::optional<Result<Downloaded>>> {
    co_return co_await self->do_download(url, path, max_bytes, disk);
  };
  auto r = co_await asio::co_spawn(ex_, std::move(run), asio::use_awaitable);
  co_return std::move(*r);
}

asio::awaitable<Result<PlatformClient::Downloaded>> PlatformClient::do_download(
    std::string url, std::string path, std::uint64_t max_bytes, asio::any_io_executor disk) {
  auto u = parse_http_url(url, "file URL");
  if (!u) co_return u.error();
  Op op;
  op.what = "download";
  op.origin = u->origin;
  op.target = u->target;
  op.accept = "*/*";
  // The token goes only to the platform's own origin (a content URL there may need it).
  op.authenticate = u->origin == api_.origin;
  op.transfer = true;

  const std::string part = path + ".part";
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> file(std::fopen(part.c_str(), "wb"));
  if (!file) {
    co_return Error{Errc::internal, "rcs download: cannot write " + part, false, 0};
  }
  Sha256 sha;
  Downloaded got;
  std::string error_body;
  bool ok_status = false, too_big = false, write_failed = false;
  // With a disk executor the hash runs beside the write (Sink::on_data_beside), else after.
  const bool hash_beside = static_cast<bool>(disk);
  auto hash = [&](std::string_view d) {
    if (ok_status) sha.update(d);
    return true;
  };
  detail::Sink sink{[&](const detail::Incoming& in) {
                      // A new answer (again after a 401): start over.
                      ok_status = in.status >= 200 && in.status <= 299 && in.status != 206;
                      error_body.clear();
                      got.content_type = in.content_type;
                      if (ok_status && in.content_length && *in.content_length > max_bytes) {
                        too_big = true;
                        return false;
                      }
                      return true;
                    },
                    [&](std::string_view d) {
                      if (!ok_status) {
                        if (error_body.size() + d.size() > limits_.max_body) return false;
                        error_body.append(d);
                        return true;
                      }
                      if (d.size() > max_bytes - got.size) {
                        too_big = true;
                        return false;
                      }
                      if (std::fwrite(d.data(), 1, d.size(), file.get()) != d.size()) {
                        write_failed = true;
                        return false;
                      }
                      if (!hash_beside) hash(d);
                      got.size += d.size();
                      return true;
                    },
                    std::move(disk)};
  if (hash_beside) sink.on_data_beside = hash;
  HttpAnswer a = co_await call(op, sink);
  const bool closed = std::fclose(file.release()) == 0;
  auto discard = [&] {
    std::error_code ignored;
    fs::remove(part, ignored);
  };
  if (a.status == 0) {
    discard();
    if (a.invalid_request) co_return Error::invalid("rcs download: " + a.error);
    co_return Error::transient("rcs download: " + a.error);
  }
  if (!ok_status) {
    discard();
    co_return to_error(Call::file_info, a.status, parse_error_body(error_body, limits_));
  }
  if (too_big) {
    discard();
    co_return Error::limit("rcs download: the file is over " + std::to_string(max_bytes) +
                           " bytes");
  }
  if (write_failed || !closed) {
    discard();
    co_return Error{Errc::internal, "rcs download: cannot write " + part, false, 0};
  }
  got.sha256 = sha.hex();
  if (got.sha256.empty()) {
    discard();
    co_return Error{Errc::internal, "rcs download: sha256 failed", false, 0};
  }
  std::error_code ec;
  fs::rename(part, path, ec);
  if (ec) {
    discard();
    co_return Error{Errc::internal, "rcs download: cannot rename to " + path + ": " + ec.message(),
                    false, 0};
  }
  spdlog::debug("rcs {}: downloaded {} bytes", ep_.name, got.size);
  co_return got;
}

}  // namespace passerelle::rcs
