#include "store/write_behind.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace passerelle::store {
namespace {

class WriteBehindTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("passerelle-wb-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = Store::open((dir_ / "t.db").string(), {});
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    ASSERT_TRUE(
        store_->run_sync([](Db& db) { return db.exec("CREATE TABLE kv(k TEXT, v TEXT)"); }).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Holds the writer inside a job until `release` is set, so that writes pile up.
  std::promise<void> hold_writer() {
    std::promise<void> release;
    std::promise<void> entered;
    auto in = entered.get_future();
    store_->submit(
        [gate = release.get_future().share(),
         e = std::make_shared<std::promise<void>>(std::move(entered))](Db&) -> Status {
          e->set_value();
          gate.wait();
          return {};
        },
        nullptr);
    in.wait();
    return release;
  }

  static WriteBehind::Write insert(std::string k, std::string v) {
    return [k, v](Db& db) -> Status {
      if (auto st = db.exec("INSERT INTO kv VALUES ('" + k + "','" + v + "')"); !st.ok()) return st;
      return {};
    };
  }

  std::vector<std::string> rows() {
    std::vector<std::string> out;
    EXPECT_TRUE(store_
                    ->run_sync([&](Db& db) -> Status {
                      auto st = db.prepare("SELECT k || '=' || v FROM kv ORDER BY rowid");
                      if (!st.ok()) return st.error();
                      while (true) {
                        auto r = (*st)->step();
                        if (!r.ok()) return r.error();
                        if (!*r) break;
                        out.push_back((*st)->col_text(0));
                      }
                      (*st)->reset();
                      return {};
                    })
                    .ok());
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(WriteBehindTest, LaterWriteToTheSameKeyReplacesTheWaitingOne) {
  WriteBehind wb(*store_);
  auto release = hold_writer();
  std::mutex mu;
  std::vector<std::string> done;
  auto note = [&](std::string what) {
    return [&, what](Status st) {
      std::lock_guard lock(mu);
      done.push_back(what + (st.ok() ? ":ok" : ":error"));
    };
  };
  wb.put("a", insert("a", "1"), note("a1"));
  wb.put("b", insert("b", "1"));
  wb.put("a", insert("a", "2"), note("a2"));
  wb.put("", insert("x", "1"));
  wb.put("", insert("x", "2"));
  release.set_value();
  // Order of the last put: b, a (its second value), then the unkeyed writes.
  EXPECT_EQ(rows(), (std::vector<std::string>{"b=1", "a=2", "x=1", "x=2"}));
  std::lock_guard lock(mu);
  EXPECT_EQ(done, (std::vector<std::string>{"a1:ok", "a2:ok"}));
  const auto stats = wb.stats();
  EXPECT_EQ(stats.writes, 5u);
  EXPECT_EQ(stats.replaced, 1u);
  EXPECT_EQ(stats.jobs, 1u);
}

TEST_F(WriteBehindTest, AWriteAfterTheJobStartedGoesIntoTheNextJob) {
  WriteBehind wb(*store_);
  std::promise<void> first;
  wb.put("a", insert("a", "1"), [&](Status) { first.set_value(); });
  first.get_future().wait();
  wb.put("a", insert("a", "2"));
  EXPECT_EQ(rows(), (std::vector<std::string>{"a=1", "a=2"}));
  EXPECT_EQ(wb.stats().jobs, 2u);
}

TEST_F(WriteBehindTest, AFailedWriteIsReportedAndDoesNotUndoTheOthers) {
  WriteBehind wb(*store_);
  auto release = hold_writer();
  std::promise<Status> bad;
  wb.put("a", insert("a", "1"));
  wb.put(
      "bad", [](Db& db) { return db.exec("INSERT INTO missing VALUES (1)"); },
      [&](Status st) { bad.set_value(st); });
  wb.put("c", insert("c", "1"));
  release.set_value();
  EXPECT_FALSE(bad.get_future().get().ok());
  EXPECT_EQ(rows(), (std::vector<std::string>{"a=1", "c=1"}));
}

TEST_F(WriteBehindTest, WritesQueuedWhenTheStoreClosesAreReportedNotLost) {
  WriteBehind wb(*store_);
  store_->close();
  std::promise<Status> after;
  wb.put("a", insert("a", "1"), [&](Status st) { after.set_value(st); });
  auto st = after.get_future().get();
  EXPECT_FALSE(st.ok());
}

TEST_F(WriteBehindTest, AFailedWriteIsKeptAndRunsAgainWithAJobAfterItsDelay) {
  WriteBehind wb(*store_, std::chrono::milliseconds(300));
  std::promise<Status> first;
  wb.put("a", insert("a", "1"));
  wb.put(
      "late", [](Db& db) { return db.exec("INSERT INTO later VALUES ('late')"); },
      [&](Status st) { first.set_value(st); });
  EXPECT_FALSE(first.get_future().get().ok());
  EXPECT_EQ(wb.failures(), 1u);
  EXPECT_EQ(wb.stats().failing, 1u);
  ASSERT_TRUE(store_->run_sync([](Db& db) { return db.exec("CREATE TABLE later(v TEXT)"); }).ok());

  // Too soon: the next job runs without it.
  wb.put("b", insert("b", "1"));
  EXPECT_EQ(rows(), (std::vector<std::string>{"a=1", "b=1"}));
  EXPECT_EQ(wb.stats().failing, 1u);

  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  wb.put("c", insert("c", "1"));
  EXPECT_EQ(rows(), (std::vector<std::string>{"a=1", "b=1", "c=1"}));
  EXPECT_EQ(wb.stats().failing, 0u);
  std::string later;
  ASSERT_TRUE(store_
                  ->run_sync([&](Db& db) -> Status {
                    auto st = db.prepare("SELECT group_concat(v) FROM later");
                    if (!st.ok()) return st.error();
                    if (auto r = (*st)->step(); r.ok() && *r) later = (*st)->col_text(0);
                    (*st)->reset();
                    return {};
                  })
                  .ok());
  EXPECT_EQ(later, "late");  // once
  EXPECT_EQ(wb.failures(), 1u);
}

TEST_F(WriteBehindTest, ALaterWriteOfTheRowReplacesTheOneThatFailed) {
  WriteBehind wb(*store_, std::chrono::milliseconds(0));
  std::promise<void> failed;
  wb.put(
      "a", [](Db& db) { return db.exec("INSERT INTO missing VALUES (1)"); },
      [&](Status) { failed.set_value(); });
  failed.get_future().wait();
  EXPECT_EQ(wb.stats().failing, 1u);
  wb.put("a", insert("a", "2"));  // the row's newer state: the failed write is not needed
  EXPECT_EQ(wb.stats().failing, 0u);
  wb.put("b", insert("b", "1"));
  EXPECT_EQ(rows(), (std::vector<std::string>{"a=2", "b=1"}));
  EXPECT_EQ(wb.failures(), 1u);  // never run again
}

TEST_F(WriteBehindTest, AFailedWriteIsNotKeptWhenTheRowWasWrittenAgainMeanwhile) {
  WriteBehind wb(*store_, std::chrono::milliseconds(0));
  std::promise<void> entered, release;
  // The failing write holds the writer, and the row's next write is put meanwhile.
  wb.put("a", [&, gate = release.get_future().share()](Db& db) -> Status {
    entered.set_value();
    gate.wait();
    return db.exec("INSERT INTO missing VALUES (1)");
  });
  entered.get_future().wait();
  wb.put("a", insert("a", "2"));
  release.set_value();
  EXPECT_EQ(rows(), (std::vector<std::string>{"a=2"}));
  EXPECT_EQ(wb.stats().failing, 0u);
  wb.put("b", insert("b", "1"));
  EXPECT_EQ(rows(), (std::vector<std::string>{"a=2", "b=1"}));
  EXPECT_EQ(wb.failures(), 1u);
}

}  // namespace
}  // namespace passerelle::store
