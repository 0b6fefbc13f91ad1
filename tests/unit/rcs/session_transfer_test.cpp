// PlatformClient's file transfers against an in-process HTTP server: the multipart upload
// as the server receives it, downloads with their size, sha256 and limit.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "rcs/codec/answers.hpp"
#include "rcs/codec/upload.hpp"
#include "rcs/session/platform_client.hpp"
#include "session_server.hpp"

namespace passerelle::rcs {
namespace {

using testing::Harness;
using testing::Reply;
using testing::SeenRequest;
namespace asio = boost::asio;
namespace fs = std::filesystem;

class RcsSessionFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("passerelle-rcs-session-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string random_bytes(std::size_t n) {
    std::mt19937 gen(42);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(gen());
    return s;
  }
  static std::string sha256_hex(const std::string& s) {
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : md) {
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
    return out;
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  fs::path dir_;
};

TEST_F(RcsSessionFiles, UploadStreamsTheFileWithAnExactLength) {
  const std::string content = random_bytes(3 * 1024 * 1024 + 17);
  const auto path = dir_ / "photo.jpg";
  std::ofstream(path, std::ios::binary) << content;
  Harness h([](const SeenRequest&) {
    Reply r;
    r.status = 202;
    r.body = R"({"fileId":"f1"})";
    return r;
  });
  auto c = h.client(h.endpoint());
  h.run([&]() -> asio::awaitable<void> {
    auto a = co_await c->upload_file(path.string(), "photo \"1\".jpg", "image/jpeg");
    EXPECT_EQ(a.status, 202) << a.error;
    auto up = parse_upload_answer(a.body, a.location);
    EXPECT_TRUE(up.ok());
    if (up.ok()) {
      EXPECT_EQ(up->file_id, "f1");
    }
  });
  ASSERT_EQ(h.server.requests().size(), 1u);
  const auto& r = h.server.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/bot/v1/bot-a/files");
  EXPECT_EQ(r.field("authorization"), "Bearer tok-a");
  EXPECT_EQ(r.field("content-length"), std::to_string(r.body.size()));
  EXPECT_TRUE(r.field("transfer-encoding").empty());
  const std::string ct = r.field("content-type");
  const std::string prefix = "multipart/form-data; boundary=";
  ASSERT_EQ(ct.substr(0, prefix.size()), prefix);
  const std::string boundary = ct.substr(prefix.size());
  // The body is head + the file's bytes + tail, as the codec frames it.
  UploadForm form;
  form.file_type = "image/jpeg";
  form.file_name = "photo \"1\".jpg";
  auto framing = build_upload(form, boundary);
  ASSERT_TRUE(framing.ok());
  ASSERT_EQ(r.body.size(), framing->content_length(content.size()));
  EXPECT_EQ(r.body.substr(0, framing->head.size()), framing->head);
  EXPECT_TRUE(r.body.compare(framing->head.size(), content.size(), content) == 0);
  EXPECT_EQ(r.body.substr(framing->head.size() + content.size()), framing->tail);
  EXPECT_NE(framing->head.find(R"(filename="photo \"1\".jpg")"), std::string::npos);
}

TEST_F(RcsSessionFiles, UploadOfAMissingFileIsRefused) {
  Harness h([](const SeenRequest&) { return Reply{}; });
  auto c = h.client(h.endpoint());
  h.run([&]() -> asio::awaitable<void> {
    auto a = co_await c->upload_file((dir_ / "nope").string(), "nope", "image/jpeg");
    EXPECT_EQ(a.status, 0);
    EXPECT_TRUE(a.invalid_request);
  });
  EXPECT_TRUE(h.server.requests().empty());
}

TEST_F(RcsSessionFiles, DownloadHashesAndRenames) {
  const std::string content = random_bytes(2 * 1024 * 1024 + 5);
  Harness h([&](const SeenRequest&) {
    Reply r;
    r.body = content;
    r.fields = {{"Content-Type", "image/png"}};
    return r;
  });
  auto c = h.client(h.endpoint());
  const auto out = dir_ / "got.png";
  h.run([&]() -> asio::awaitable<void> {
    auto d = co_await c->download(h.server.url("/content/f1/got.png"), out.string(), 4 << 20);
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message);
    if (!d.ok()) co_return;
    EXPECT_EQ(d->size, content.size());
    EXPECT_EQ(d->sha256, sha256_hex(content));
    EXPECT_EQ(d->content_type, "image/png");
    // Another origin (localhost is not 127.0.0.1): no token sent there.
    auto e = co_await c->download(
        "http://localhost:" + std::to_string(h.server.port()) + "/content/f1/got.png",
        (dir_ / "again.png").string(), 4 << 20);
    EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message);
  });
  EXPECT_EQ(read(out), content);
  EXPECT_FALSE(fs::exists(dir_ / "got.png.part"));
  ASSERT_EQ(h.server.requests().size(), 2u);
  EXPECT_EQ(h.server.requests()[0].target, "/content/f1/got.png");
  EXPECT_EQ(h.server.requests()[0].field("authorization"), "Bearer tok-a");
  EXPECT_EQ(h.server.requests()[1].field("authorization"), "");
}

// With a disk executor, chunks are hashed and written there (both at once) while the next
// ones are read (4 in memory, 20 chunks here): the file must come out whole and in order, with or
// without Content-Length, and the limit and error bodies must behave as without it.
TEST_F(RcsSessionFiles, DownloadOnADiskThreadKeepsOrderLimitAndErrors) {
  const std::string content = random_bytes(5 * 1024 * 1024 + 3);
  bool chunked = false;
  Harness h([&](const SeenRequest& r) {
    Reply rep;
    if (r.target.find("gone") != std::string::npos) {
      rep.status = 404;
      rep.body = R"({"error":{"code":404,"message":"no such file"}})";
      return rep;
    }
    rep.body = content;
    rep.chunked = chunked;
    return rep;
  });
  asio::thread_pool disk(2);  // hashing and writing at once, as in the daemon
  auto c = h.client(h.endpoint());
  const auto out = dir_ / "got.bin";
  h.run([&]() -> asio::awaitable<void> {
    const std::string url = h.server.url("/content/f1/got.bin");
    auto d = co_await c->download(url, out.string(), 8 << 20, disk.get_executor());
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message);
    if (d.ok()) {
      EXPECT_EQ(d->size, content.size());
      EXPECT_EQ(d->sha256, sha256_hex(content));
    }
    chunked = true;
    const std::string again = (dir_ / "again.bin").string();
    auto e = co_await c->download(url, again, 8 << 20, disk.get_executor());
    EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message);
    if (e.ok()) {
      EXPECT_EQ(e->sha256, sha256_hex(content));
    }
    // Chunked and over the limit: stopped while streaming, nothing left.
    const std::string big = (dir_ / "big.bin").string();
    auto f = co_await c->download(url, big, 1 << 20, disk.get_executor());
    EXPECT_FALSE(f.ok());
    if (!f.ok()) {
      EXPECT_EQ(f.error().code, Errc::limit_exceeded);
    }
    const std::string gone_url = h.server.url("/content/gone/x");
    const std::string gone = (dir_ / "gone.bin").string();
    auto g = co_await c->download(gone_url, gone, 1000, disk.get_executor());
    EXPECT_FALSE(g.ok());
    if (!g.ok()) {
      EXPECT_EQ(g.error().code, Errc::not_found);
      EXPECT_NE(g.error().message.find("no such file"), std::string::npos);
    }
  });
  disk.join();
  EXPECT_EQ(read(out), content);
  EXPECT_EQ(read(dir_ / "again.bin"), content);
  EXPECT_FALSE(fs::exists(dir_ / "big.bin"));
  EXPECT_FALSE(fs::exists(dir_ / "big.bin.part"));
  EXPECT_FALSE(fs::exists(dir_ / "gone.bin"));
}

TEST_F(RcsSessionFiles, DownloadRefusesMoreThanMaxBytes) {
  bool chunked = false;
  Harness h([&](const SeenRequest&) {
    Reply r;
    r.body = std::string(200 * 1024, 'z');
    r.chunked = chunked;
    return r;
  });
  auto c = h.client(h.endpoint());
  const auto out = dir_ / "big.bin";
  h.run([&]() -> asio::awaitable<void> {
    // Announced by Content-Length: refused before reading.
    auto d = co_await c->download(h.server.url("/content/f1/big"), out.string(), 100 * 1024);
    EXPECT_FALSE(d.ok());
    if (!d.ok()) {
      EXPECT_EQ(d.error().code, Errc::limit_exceeded);
    }
    // Chunked, no length said: refused once the limit is passed.
    chunked = true;
    auto e = co_await c->download(h.server.url("/content/f1/big"), out.string(), 100 * 1024);
    EXPECT_FALSE(e.ok());
    if (!e.ok()) {
      EXPECT_EQ(e.error().code, Errc::limit_exceeded);
    }
    // Exactly the limit is fine.
    auto f = co_await c->download(h.server.url("/content/f1/big"), out.string(), 200 * 1024);
    EXPECT_TRUE(f.ok());
  });
  EXPECT_FALSE(fs::exists(dir_ / "big.bin.part"));
  EXPECT_EQ(fs::file_size(out), 200u * 1024);
}

TEST_F(RcsSessionFiles, DownloadErrors) {
  Harness h([](const SeenRequest& r) {
    Reply rep;
    rep.status = r.target.find("gone") != std::string::npos ? 404 : 503;
    rep.body = R"({"error":{"code":404,"message":"no such file"}})";
    return rep;
  });
  auto c = h.client(h.endpoint());
  const auto out = dir_ / "x";
  h.run([&]() -> asio::awaitable<void> {
    auto a = co_await c->download(h.server.url("/content/gone/x"), out.string(), 1000);
    EXPECT_FALSE(a.ok());
    if (!a.ok()) {
      EXPECT_EQ(a.error().code, Errc::not_found);
      EXPECT_NE(a.error().message.find("no such file"), std::string::npos);
    }
    auto b = co_await c->download(h.server.url("/content/busy/x"), out.string(), 1000);
    EXPECT_FALSE(b.ok());
    if (!b.ok()) {
      EXPECT_TRUE(b.error().retryable);
    }
    auto d = co_await c->download("http://files.example/x", out.string(), 1000);
    EXPECT_FALSE(d.ok());
    if (!d.ok()) {
      EXPECT_EQ(d.error().code, Errc::invalid_input);
    }
  });
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(dir_ / "x.part"));
  EXPECT_EQ(h.server.requests().size(), 2u);
}

}  // namespace
}  // namespace passerelle::rcs
