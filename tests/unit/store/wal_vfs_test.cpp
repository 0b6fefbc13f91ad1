#include "store/wal_vfs.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "../common/temp_dir.hpp"

namespace passerelle::store {
namespace {

// Raw SQLite here: what is under test is the VFS below the store, and how another
// connection, a crash and SQLite's own checks see the files it writes.
class GatheredWalTest : public ::testing::Test {
 protected:
  std::string path() const { return (dir_.path() / "t.db").string(); }

  sqlite3* open(bool gathered) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path().c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                   gathered ? gathering_wal_vfs() : nullptr);
    EXPECT_EQ(rc, SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, "PRAGMA synchronous=FULL");
    return db;
  }
  static void exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  }
  static std::int64_t scalar(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK);
    std::int64_t v = -1;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
  }
  static std::string text(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK);
    std::string v;
    if (sqlite3_step(s) == SQLITE_ROW) v = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return v;
  }
  // One transaction of `rows` rows of `size` bytes each, ids from `first`.
  static void insert(sqlite3* db, int first, int rows, int size) {
    exec(db, "BEGIN");
    for (int i = first; i < first + rows; ++i)
      exec(db, "INSERT INTO t(id, v) VALUES (" + std::to_string(i) + ", randomblob(" +
                   std::to_string(size) + "))");
    exec(db, "COMMIT");
  }

  passerelle::testing::TempDir dir_;
};

TEST_F(GatheredWalTest, EveryCommitIsSeenByAnotherConnectionAtOnce) {
  ASSERT_NE(gathering_wal_vfs(), nullptr);
  sqlite3* w = open(true);
  exec(w, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
  exec(w, "CREATE INDEX t_v ON t(v)");
  sqlite3* r = open(false);
  int next = 0;
  // Small commits (one write each) and commits larger than what is gathered at once.
  const auto gathered_before = gathered_wal_writes();
  for (int rows : {1, 3, 1, 200, 1, 700, 2}) {
    insert(w, next, rows, 300);
    next += rows;
    EXPECT_EQ(scalar(r, "SELECT count(*) FROM t"), next) << "after a commit of " << rows;
  }
  // Each frame is a header and a page: at least one write per frame was gathered.
  EXPECT_GT(gathered_wal_writes() - gathered_before, 50u);
  sqlite3_close(r);
  sqlite3_close(w);
  sqlite3* again = open(false);
  EXPECT_EQ(scalar(again, "SELECT count(*) FROM t"), next);
  EXPECT_EQ(text(again, "PRAGMA integrity_check"), "ok");
  sqlite3_close(again);
}

TEST_F(GatheredWalTest, ATransactionLargerThanTheCacheReadsBackWhatItSpilled) {
  sqlite3* w = open(true);
  exec(w, "PRAGMA cache_size=8");  // pages: the transaction spills frames before its commit
  exec(w, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
  exec(w, "CREATE INDEX t_v ON t(v)");
  exec(w, "BEGIN");
  for (int i = 0; i < 3000; ++i)
    exec(w, "INSERT INTO t(id, v) VALUES (" + std::to_string(i) + ", randomblob(200))");
  EXPECT_EQ(scalar(w, "SELECT count(*) FROM t WHERE v IS NOT NULL"), 3000);
  exec(w, "COMMIT");
  sqlite3* r = open(false);
  EXPECT_EQ(scalar(r, "SELECT count(*) FROM t"), 3000);
  EXPECT_EQ(text(r, "PRAGMA integrity_check"), "ok");
  sqlite3_close(r);
  sqlite3_close(w);
}

TEST_F(GatheredWalTest, TheWalStartsOverAfterACheckpointFromAnotherConnection) {
  sqlite3* w = open(true);
  exec(w, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
  sqlite3* c = open(false);
  int next = 0;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 20; ++i, next += 5) insert(w, next, 5, 500);
    int frames = 0, copied = 0;
    ASSERT_EQ(sqlite3_wal_checkpoint_v2(c, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied),
              SQLITE_OK);
    EXPECT_EQ(frames, copied);  // all of it: the writer's next commit starts the WAL over
  }
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM t"), next);
  sqlite3_close(c);
  sqlite3_close(w);
  sqlite3* again = open(false);
  EXPECT_EQ(scalar(again, "SELECT count(*) FROM t"), next);
  EXPECT_EQ(text(again, "PRAGMA integrity_check"), "ok");
  sqlite3_close(again);
}

// kill -9 in the middle of a stream of commits: every commit the writer saw return is in
// the database, which SQLite recovers intact; the one cut short is not there at all.
TEST_F(GatheredWalTest, ACommitThatReturnedSurvivesAKill) {
  {
    sqlite3* db = open(false);
    exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
    sqlite3_close(db);
  }
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path().c_str(), &db, SQLITE_OPEN_READWRITE, gathering_wal_vfs()) !=
        SQLITE_OK)
      ::_exit(2);
    sqlite3_exec(db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
    for (int n = 0;; n += 10) {
      // 10 rows of 2 KiB: 20 KiB and more per commit, gathered in one or two writes.
      if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) ::_exit(3);
      for (int i = n; i < n + 10; ++i) {
        const std::string sql =
            "INSERT INTO t(id, v) VALUES (" + std::to_string(i) + ", randomblob(2048))";
        if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) ::_exit(4);
      }
      if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) ::_exit(5);
      const int done = n + 10;
      if (::write(pipe_fds[1], &done, sizeof done) != sizeof done) ::_exit(6);
    }
  }
  ::close(pipe_fds[1]);
  int committed = 0, got = 0;
  while (committed < 3000 && ::read(pipe_fds[0], &got, sizeof got) == sizeof got) committed = got;
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  // Drain what the child reported before it died.
  while (::read(pipe_fds[0], &got, sizeof got) == sizeof got) committed = got;
  ::close(pipe_fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself, status " << status;
  ASSERT_GE(committed, 3000);
  sqlite3* db = open(false);
  const auto rows = scalar(db, "SELECT count(*) FROM t");
  EXPECT_GE(rows, committed);
  EXPECT_LE(rows, committed + 10);  // at most the commit under way when it was killed
  EXPECT_EQ(rows % 10, 0) << "a transaction was recovered in part";
  EXPECT_EQ(scalar(db, "SELECT max(id) + 1 FROM t"), rows);
  EXPECT_EQ(text(db, "PRAGMA integrity_check"), "ok");
  sqlite3_close(db);
}

}  // namespace
}  // namespace passerelle::store
