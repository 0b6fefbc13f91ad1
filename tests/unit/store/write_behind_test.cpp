#include "store/write_behind.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <mutex>
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
  EXPECT_EQ(wb.failures(), 0u);
  release.set_value();
  EXPECT_FALSE(bad.get_future().get().ok());
  EXPECT_EQ(rows(), (std::vector<std::string>{"a=1", "c=1"}));
  EXPECT_EQ(wb.failures(), 1u);
}

TEST_F(WriteBehindTest, WritesQueuedWhenTheStoreClosesAreReportedNotLost) {
  WriteBehind wb(*store_);
  store_->close();
  std::promise<Status> after;
  wb.put("a", insert("a", "1"), [&](Status st) { after.set_value(st); });
  auto st = after.get_future().get();
  EXPECT_FALSE(st.ok());
}

}  // namespace
}  // namespace passerelle::store
