#include "http/file_share.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <limits>
#include <set>

#include "../common/temp_dir.hpp"

namespace passerelle {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

// A clock the test moves by hand.
struct FakeClock {
  std::atomic<std::int64_t> seconds{1'800'000'000};
  std::function<WallClock::time_point()> fn() {
    return [this] { return WallClock::time_point(std::chrono::seconds(seconds.load())); };
  }
  WallClock::time_point now() const {
    return WallClock::time_point(std::chrono::seconds(seconds.load()));
  }
};

TEST(Base32, MatchesRfc4648Vectors) {
  const auto enc = [](std::string s) {
    return base32_lower(reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  EXPECT_EQ(enc(""), "");
  EXPECT_EQ(enc("f"), "my");
  EXPECT_EQ(enc("fo"), "mzxq");
  EXPECT_EQ(enc("foobar"), "mzxw6ytboi");
}

TEST(FileShare, TokensAreUniqueLongAndBase32) {
  TempDir dir;
  FakeClock clock;
  FileShare share(dir.path(), "https://files.example.org", 100000, clock.fn());
  dir.write("a.bin", "abc");
  std::set<std::string> tokens;
  for (int i = 0; i < 1000; ++i) {
    auto s = share.share(dir.path() / "a.bin", "a.bin", "application/octet-stream", 3, "00", 60s);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->token.size(), 32u);  // 160 bits
    EXPECT_EQ(s->token.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567"), std::string::npos);
    tokens.insert(s->token);
  }
  EXPECT_EQ(tokens.size(), 1000u);
}

TEST(FileShare, UrlHasTheTokenAndTheEscapedName) {
  TempDir dir;
  FakeClock clock;
  FileShare share(dir.path(), "https://files.example.org/bridge/", 100000, clock.fn());
  dir.write("x", "hello");
  auto s = share.share("x", "Photo été 1/2 #a?.jpg", "image/jpeg", 5, "ab", 3600s);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->url, "https://files.example.org/bridge/files/" + s->token +
                        "/Photo%20%C3%A9t%C3%A9%201%2F2%20%23a%3F.jpg");
  EXPECT_EQ(s->expires, clock.now() + 3600s);
  auto e = share.find(s->token);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->name, "Photo été 1/2 #a?.jpg");
  EXPECT_EQ(e->content_type, "image/jpeg");
  EXPECT_EQ(e->size, 5u);
  EXPECT_EQ(e->path, dir.path() / "x");
}

TEST(FileShare, RefusesWhatItCannotServe) {
  TempDir dir, elsewhere;
  FakeClock clock;
  FileShare share(dir.path(), "https://h", 100000, clock.fn());
  dir.write("ok", "12345");
  elsewhere.write("outside", "12345");
  EXPECT_EQ(share.share(elsewhere.path() / "outside", "n", "", 5, "", 60s).error().code,
            Errc::invalid_input);
  EXPECT_FALSE(share.share(dir.path() / ".." / "x", "n", "", 5, "", 60s).ok());
  EXPECT_FALSE(share.share(dir.path() / "missing", "n", "", 5, "", 60s).ok());
  EXPECT_FALSE(share.share(dir.path() / "ok", "n", "", 4, "", 60s).ok());  // wrong size
  EXPECT_FALSE(share.share(dir.path() / "ok", "", "", 5, "", 60s).ok());   // no name
  EXPECT_FALSE(share.share(dir.path() / "ok", "n", "", 5, "", 0s).ok());   // no lifetime
  EXPECT_FALSE(share.share(dir.path() / FileShare::kIndexName, "n", "", 0, "", 60s).ok());
  EXPECT_FALSE(share.find("").has_value());
  EXPECT_FALSE(share.find("nosuchtoken").has_value());
  auto s = share.share(dir.path() / "ok", "n", "", 5, "", 60s);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(share.find(s->token)->content_type, "application/octet-stream");
}

TEST(FileShare, ExpiresAndSweepDeletesTheFile) {
  TempDir dir;
  FakeClock clock;
  FileShare share(dir.path(), "https://h", 100000, clock.fn());
  const auto short_file = dir.write("short", "s");
  const auto long_file = dir.write("long", "l");
  auto a = share.share(short_file, "short", "text/plain", 1, "", 10s);
  auto b = share.share(long_file, "long", "text/plain", 1, "", 100s);
  ASSERT_TRUE(a.ok() && b.ok());
  clock.seconds += 9;
  EXPECT_TRUE(share.find(a->token).has_value());
  clock.seconds += 1;
  EXPECT_FALSE(share.find(a->token).has_value());  // expired: gone before the sweep
  EXPECT_TRUE(std::filesystem::exists(short_file));
  EXPECT_EQ(share.sweep(clock.now()), 1u);
  EXPECT_FALSE(std::filesystem::exists(short_file));
  EXPECT_TRUE(std::filesystem::exists(long_file));
  EXPECT_EQ(share.size(), 1u);
  EXPECT_EQ(share.sweep(clock.now()), 0u);
  EXPECT_EQ(share.sweep(clock.now() + 100s), 1u);
  EXPECT_FALSE(std::filesystem::exists(long_file));
  EXPECT_EQ(share.size(), 0u);
}

TEST(FileShare, SweepKeepsAFileALiveShareStillUses) {
  TempDir dir;
  FakeClock clock;
  FileShare share(dir.path(), "https://h", 100000, clock.fn());
  const auto f = dir.write("both", "b");
  ASSERT_TRUE(share.share(f, "a", "", 1, "", 10s).ok());
  ASSERT_TRUE(share.share(f, "b", "", 1, "", 20s).ok());
  EXPECT_EQ(share.sweep(clock.now() + 10s), 1u);
  EXPECT_TRUE(std::filesystem::exists(f));
  EXPECT_EQ(share.sweep(clock.now() + 20s), 1u);
  EXPECT_FALSE(std::filesystem::exists(f));
}

TEST(FileShare, LimitCountsLiveShares) {
  TempDir dir;
  FakeClock clock;
  FileShare share(dir.path(), "https://h", 2, clock.fn());
  const auto f = dir.write("f", "f");
  const auto g = dir.write("g", "g");
  ASSERT_TRUE(share.share(f, "f", "", 1, "", 10s).ok());
  ASSERT_TRUE(share.share(g, "g", "", 1, "", 100s).ok());
  EXPECT_EQ(share.share(g, "g", "", 1, "", 100s).error().code, Errc::limit_exceeded);
  clock.seconds += 10;  // the first expires: its place is free again
  EXPECT_TRUE(share.share(g, "g2", "", 1, "", 100s).ok());
  EXPECT_FALSE(std::filesystem::exists(f));
}

TEST(FileShare, ReservationsAndSharedFilesShareMaxBytes) {
  TempDir dir;
  FakeClock clock;
  FileShare share(dir.path(), "https://h", 100, clock.fn(), /*max_bytes=*/10);
  const auto f = dir.write("f", "123456");
  {
    auto room = share.reserve(6);  // a file of 6 bytes arriving
    ASSERT_TRUE(room.ok());
    EXPECT_EQ(share.reserved_bytes(), 6u);
    auto more = share.reserve(5);
    ASSERT_FALSE(more.ok());
    EXPECT_EQ(more.error().code, Errc::limit_exceeded);
    EXPECT_NE(more.error().message.find("6 of files.max_bytes (10)"), std::string::npos)
        << more.error().message;
    ASSERT_TRUE(share.share(f, "f", "", 6, "", 10s).ok());
  }  // shared: the reservation is given back, the file counts instead
  EXPECT_EQ(share.reserved_bytes(), 0u);
  EXPECT_EQ(share.bytes(), 6u);
  EXPECT_TRUE(share.reserve(4).ok());
  EXPECT_FALSE(share.reserve(5).ok());
  EXPECT_FALSE(share.reserve(11).ok());
  EXPECT_FALSE(share.reserve(std::numeric_limits<std::uint64_t>::max()).ok());
  // A move keeps one reservation; dropping it frees the room.
  auto a = share.reserve(4);
  ASSERT_TRUE(a.ok());
  FileShare::Reservation moved = std::move(*a);
  EXPECT_EQ(share.reserved_bytes(), 4u);
  moved.release();
  EXPECT_EQ(share.reserved_bytes(), 0u);
  // Expired shares make room when it is asked for.
  clock.seconds += 10;
  EXPECT_TRUE(share.reserve(10).ok());
  EXPECT_EQ(share.bytes(), 0u);
  EXPECT_FALSE(std::filesystem::exists(f));
}

TEST(FileShare, BytesAreCountedAgainAfterARestart) {
  TempDir dir;
  FakeClock clock;
  {
    FileShare share(dir.path(), "https://h", 100, clock.fn(), 10);
    ASSERT_TRUE(share.share(dir.write("a", "1234"), "a", "", 4, "", 10s).ok());
    ASSERT_TRUE(share.share(dir.write("b", "12345"), "b", "", 5, "", 100s).ok());
  }
  FileShare again(dir.path(), "https://h", 100, clock.fn(), 10);
  EXPECT_EQ(again.bytes(), 9u);
  EXPECT_FALSE(again.reserve(2).ok());
  clock.seconds += 10;
  FileShare later(dir.path(), "https://h", 100, clock.fn(), 10);
  EXPECT_EQ(later.bytes(), 5u);
}

TEST(FileShare, IndexSurvivesARestart) {
  TempDir dir;
  FakeClock clock;
  std::string keep, expire, lost;
  {
    FileShare share(dir.path(), "https://h", 100000, clock.fn());
    const auto k = dir.write("keep", "keep me");
    const auto e = dir.write("expire", "x");
    const auto l = dir.write("lost", "y");
    keep = share.share(k, "kept \"name\".txt", "text/plain", 7, "abcd", 3600s)->token;
    expire = share.share(e, "e", "", 1, "", 10s)->token;
    lost = share.share(l, "l", "", 1, "", 3600s)->token;
    std::filesystem::remove(l);
  }
  // Garbage and a path outside the directory are ignored.
  std::ofstream(dir.path() / FileShare::kIndexName, std::ios::app)
      << "not json\n"
      << R"({"token":"evil","file":"../../etc/passwd","name":"p","type":"","size":1,"sha256":"","expires_ms":99999999999999})"
      << "\n";
  clock.seconds += 60;
  FileShare again(dir.path(), "https://h", 100000, clock.fn());
  EXPECT_EQ(again.size(), 1u);
  auto k = again.find(keep);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->name, "kept \"name\".txt");
  EXPECT_EQ(k->content_type, "text/plain");
  EXPECT_EQ(k->size, 7u);
  EXPECT_EQ(k->sha256, "abcd");
  EXPECT_EQ(k->expires, WallClock::time_point(std::chrono::seconds(1'800'000'000)) + 3600s);
  EXPECT_FALSE(again.find(expire).has_value());
  EXPECT_FALSE(again.find(lost).has_value());
  EXPECT_FALSE(again.find("evil").has_value());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "expire"));  // expired while down: deleted

  // The rewritten index holds only what is live; a third start finds the same.
  FileShare third(dir.path(), "https://h", 100000, clock.fn());
  EXPECT_EQ(third.size(), 1u);
  EXPECT_TRUE(third.find(keep).has_value());
}

TEST(FileShare, ReloadIsBoundedByMaxFiles) {
  TempDir dir;
  FakeClock clock;
  {
    FileShare share(dir.path(), "https://h", 100, clock.fn());
    const auto f = dir.write("f", "f");
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(share.share(f, "f", "", 1, "", 60s).ok());
  }
  FileShare small(dir.path(), "https://h", 3, clock.fn());
  EXPECT_EQ(small.size(), 3u);
}

}  // namespace
}  // namespace passerelle
