#include "store/store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <thread>

#include "store/attachments.hpp"
#include "store/records.hpp"
#include "store/secret_box.hpp"

namespace passerelle::store {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("passerelle-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return (dir_ / "t.db").string(); }
  std::filesystem::path dir_;
};

// One text column of every row a statement returns.
std::vector<std::string> column_of(Store& s, int column,
                                   const std::function<Result<Stmt*>(Db&)>& prepare) {
  std::vector<std::string> out;
  EXPECT_TRUE(s.run_sync([&](Db& db) -> Status {
                 auto st = prepare(db);
                 if (!st.ok()) return st.error();
                 Status result;
                 for (;;) {
                   auto row = (*st)->step();
                   if (!row.ok()) {
                     result = row.error();
                     break;
                   }
                   if (!*row) break;
                   out.push_back((*st)->col_text(column));
                 }
                 (*st)->reset();
                 return result;
               }).ok());
  return out;
}

// The indexes of the charges table (those made by the schema, not SQLite's own).
std::vector<std::string> charges_indexes(Store& s) {
  return column_of(s, 0, [](Db& db) {
    return db.prepare(
        "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='charges' AND sql IS "
        "NOT NULL ORDER BY name");
  });
}

const std::vector<std::string> kChargesIndexes{"charges_delivery", "charges_month"};

TEST_F(StoreTest, MigratesOnceAndReopens) {
  {
    auto s = Store::open(path(), {});
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ((*s)->schema_version(), 4);
  }
  auto again = Store::open(path(), {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->schema_version(), 4);
}

// A database written by a passerelle that knew only migration 1 gets migrations 2 to 4
// and keeps its rows.
TEST_F(StoreTest, UpgradesAVersionOneDatabase) {
  {
    auto s = Store::open(path(), {});
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->run_sync([](Db& db) -> Status {
                      PersonRow p{"alice", "+33611111111", true, 0, "config", {"xmpp:a@x"}};
                      return upsert_person(db, p, 1);
                    })
                    .ok());
  }
  {
    auto db = Db::open(path());
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->exec("DROP TABLE linked_accounts").ok());
    ASSERT_TRUE((*db)->exec("ALTER TABLE messages DROP COLUMN attachments").ok());
    ASSERT_TRUE((*db)
                    ->exec("DROP INDEX charges_month;"
                           "CREATE INDEX charges_payer_month ON charges(payer, month)")
                    .ok());
    ASSERT_TRUE((*db)->exec("PRAGMA user_version = 1").ok());
  }
  auto s = Store::open(path(), {});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ((*s)->schema_version(), 4);
  EXPECT_EQ(charges_indexes(**s), kChargesIndexes);
  int people = 0;
  ASSERT_TRUE((*s)->run_sync([&](Db& db) -> Status {
                    return load_people(db, [&](PersonRow) { ++people; });
                  })
                  .ok());
  EXPECT_EQ(people, 1);
}

TEST_F(StoreTest, LinkedAccountsAreStoredReplacedAndGoWithTheirPerson) {
  auto s = Store::open(path(), {});
  ASSERT_TRUE(s.ok());
  auto load = [&] {
    std::vector<LinkedAccountRow> rows;
    EXPECT_TRUE((*s)->run_sync([&](Db& db) -> Status {
                      return load_linked_accounts(
                          db, [&](LinkedAccountRow r) { rows.push_back(std::move(r)); });
                    })
                    .ok());
    return rows;
  };
  ASSERT_TRUE(
      (*s)->run_sync([](Db& db) -> Status {
            PersonRow p{"xmpp:a@x", "", true, 0, "registration", {"xmpp:a@x"}};
            if (auto st = upsert_person(db, p, 1); !st.ok()) return st;
            if (auto st = upsert_linked_account(db, {"aim:alice", "xmpp:a@x", "pw1"}, 1); !st.ok())
              return st;
            return upsert_linked_account(db, {"msn:a@example.org", "xmpp:a@x", "pw2"}, 2);
          })
          .ok());
  auto rows = load();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].account, "aim:alice");
  EXPECT_EQ(rows[0].password, "pw1");

  // A new password replaces the old one; unlinking deletes the row.
  ASSERT_TRUE(
      (*s)->run_sync([](Db& db) -> Status {
            if (auto st = upsert_linked_account(db, {"aim:alice", "xmpp:a@x", "pw3"}, 3); !st.ok())
              return st;
            return delete_linked_account(db, "msn:a@example.org");
          })
          .ok());
  rows = load();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].password, "pw3");

  // An account belongs to a known person, and goes when they do.
  EXPECT_FALSE((*s)->run_sync([](Db& db) -> Status {
                     return upsert_linked_account(db, {"icq:123", "nobody", "pw"}, 4);
                   })
                   .ok());
  ASSERT_TRUE((*s)->run_sync([](Db& db) -> Status { return delete_person(db, "xmpp:a@x"); }).ok());
  EXPECT_TRUE(load().empty());
}

// Passwords are sealed in the table (never in clear on disk), rows an older passerelle wrote
// in clear are sealed when the store opens, and a row that does not open with the key file
// (replaced) is skipped, not given out wrong.
TEST_F(StoreTest, LinkedAccountPasswordsAreSealedAtRest) {
  const PersonRow person{"xmpp:a@x", "", true, 0, "registration", {"xmpp:a@x"}};
  auto raw_passwords = [&] {
    std::vector<std::string> out;
    auto db = Db::open(path());
    auto st = (*db)->prepare("SELECT password FROM linked_accounts ORDER BY account");
    while (*(*st)->step()) out.push_back((*st)->col_text(0));
    (*st)->reset();
    return out;
  };
  auto load = [](Store& s) {
    std::vector<LinkedAccountRow> rows;
    EXPECT_TRUE(s.run_sync([&](Db& db) -> Status {
                   return load_linked_accounts(
                       db, [&](LinkedAccountRow r) { rows.push_back(std::move(r)); });
                 }).ok());
    return rows;
  };
  {
    auto s = Store::open(path(), {});
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_TRUE((*s)->created_key());
    ASSERT_TRUE((*s)->run_sync([&](Db& db) -> Status {
                      if (auto st = upsert_person(db, person, 1); !st.ok()) return st;
                      return upsert_linked_account(db, {"aim:alice", "xmpp:a@x", "hunter2"}, 1);
                    })
                    .ok());
  }
  auto stored = raw_passwords();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_TRUE(SecretBox::is_sealed(stored[0])) << stored[0];
  EXPECT_EQ(stored[0].find("hunter2"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(path() + ".key"));

  // As an older passerelle left it: a second row in clear.
  {
    auto db = Db::open(path());
    ASSERT_TRUE((*db)
                    ->exec("INSERT INTO linked_accounts(account, person, password, created_ms, "
                           "updated_ms) VALUES ('msn:a@example.org', 'xmpp:a@x', 'pw-old', 2, 2)")
                    .ok());
  }
  {
    auto s = Store::open(path(), {});
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_FALSE((*s)->created_key());
    auto rows = load(**s);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].password, "hunter2");
    EXPECT_EQ(rows[1].password, "pw-old");
  }
  for (const auto& p : raw_passwords()) EXPECT_TRUE(SecretBox::is_sealed(p)) << p;

  // The key file replaced: nothing opens, nothing is given out, the store still opens.
  std::filesystem::remove(path() + ".key");
  auto s = Store::open(path(), {});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE((*s)->created_key());
  EXPECT_TRUE(load(**s).empty());
}

// A key file that others may read stops the store from opening, saying what to do.
TEST_F(StoreTest, RefusesAKeyFileOthersMayRead) {
  StoreOptions o;
  o.key_file = (dir_ / "k").string();
  ASSERT_TRUE(Store::open(path(), o).ok());
  ASSERT_EQ(::chmod(o.key_file.c_str(), 0640), 0);
  auto s = Store::open(path(), o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("chmod 600"), std::string::npos) << s.error().message;
}

TEST_F(StoreTest, RefusesNewerSchema) {
  {
    auto db = Db::open(path());
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->exec("PRAGMA user_version = 99").ok());
  }
  auto s = Store::open(path(), {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("newer"), std::string::npos);
}

TEST_F(StoreTest, SameMessageIdIsNotInsertedTwice) {
  auto s = Store::open(path(), {});
  ASSERT_TRUE(s.ok());
  MessageRow m{"01A", "c1", "xmpp:a@x", "sms:+33611111111", "hi", "xmpp", "orig-1", 1};
  bool first = false, second = true, other = false;
  ASSERT_TRUE(
      (*s)->run_sync([&](Db& db) -> Status {
            auto r = insert_message(db, m);
            if (!r.ok()) return r.error();
            first = *r;
            auto r2 = insert_message(db, m);
            if (!r2.ok()) return r2.error();
            second = *r2;
            m.id = "01B";  // same origin id, another message: origin ids are not unique forever
            auto r3 = insert_message(db, m);
            if (!r3.ok()) return r3.error();
            other = *r3;
            return {};
          })
          .ok());
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_TRUE(other);
}

TEST_F(StoreTest, FailedJobRollsBackAloneAndOthersCommit) {
  auto s = Store::open(path(), {});
  ASSERT_TRUE(s.ok());
  std::promise<Status> bad, good;
  (*s)->submit(
      [](Db& db) -> Status {
        auto st = set_optout(db, "+33600000001", true, 1);
        if (!st.ok()) return st;
        return Error::invalid("refused");
      },
      [&](Status st) { bad.set_value(st); });
  (*s)->submit([](Db& db) { return set_optout(db, "+33600000002", true, 1); },
               [&](Status st) { good.set_value(st); });
  EXPECT_FALSE(bad.get_future().get().ok());
  EXPECT_TRUE(good.get_future().get().ok());
  std::vector<std::string> phones;
  ASSERT_TRUE((*s)->run_sync([&](Db& db) {
                    return load_optouts(db, [&](std::string p) { phones.push_back(p); });
                  })
                  .ok());
  EXPECT_EQ(phones, std::vector<std::string>{"+33600000002"});
}

// Replayable jobs share a transaction without savepoints; when one fails, the batch is
// rolled back and run again with savepoints: the failing job alone is undone.
TEST_F(StoreTest, AFailedReplayableJobIsUndoneAloneByAReplay) {
  auto s = Store::open(path(), {});
  ASSERT_TRUE(s.ok());
  // Hold the writer so that the three jobs below form one batch.
  std::promise<void> entered, release;
  auto gate = release.get_future().share();
  (*s)->submit(
      [&entered, gate](Db&) -> Status {
        entered.set_value();
        gate.wait();
        return {};
      },
      nullptr);
  entered.get_future().wait();
  std::atomic<int> first_runs{0};
  std::promise<Status> first, bad, last;
  (*s)->submit(
      [&](Db& db) {
        ++first_runs;
        return set_optout(db, "+33600000001", true, 1);
      },
      [&](Status st) { first.set_value(st); }, Store::Replay::yes);
  (*s)->submit(
      [](Db& db) -> Status {
        auto st = set_optout(db, "+33600000002", true, 1);
        if (!st.ok()) return st;
        return Error::invalid("refused");
      },
      [&](Status st) { bad.set_value(st); }, Store::Replay::yes);
  (*s)->submit([](Db& db) { return set_optout(db, "+33600000003", true, 1); },
               [&](Status st) { last.set_value(st); }, Store::Replay::yes);
  release.set_value();
  EXPECT_TRUE(first.get_future().get().ok());
  EXPECT_FALSE(bad.get_future().get().ok());
  EXPECT_TRUE(last.get_future().get().ok());
  EXPECT_EQ(first_runs.load(), 2);  // once in the failed batch, once in its replay
  std::vector<std::string> phones;
  ASSERT_TRUE((*s)->run_sync([&](Db& db) {
                    return load_optouts(db, [&](std::string p) { phones.push_back(p); });
                  })
                  .ok());
  std::sort(phones.begin(), phones.end());
  EXPECT_EQ(phones, (std::vector<std::string>{"+33600000001", "+33600000003"}));
  EXPECT_EQ((*s)->stats().replays, 1u);
}

// A std::string lvalue is bound without a copy (it outlives the statement's run); a
// temporary string and a string_view are copied, so they may go before the step.
TEST_F(StoreTest, BoundTextIsCopiedUnlessItOutlivesTheRun) {
  auto db = Db::open(path());
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->exec("CREATE TABLE t(a TEXT, b TEXT, c TEXT)").ok());
  const std::string kept(40, 'k');
  for (int i = 0; i < 3; ++i) {
    auto st = (*db)->prepare("INSERT INTO t(a, b, c) VALUES (?,?,?)");
    ASSERT_TRUE(st.ok());
    (*st)->bind(1, kept).bind(2, std::string(40, 't') + std::to_string(i));
    {
      std::string gone(40, 'v');
      (*st)->bind(3, std::string_view(gone));
      gone.assign(40, 'x');
    }
    ASSERT_TRUE((*st)->run().ok());
  }
  // A statement left half used (a row not read to the end) is reset when fetched again.
  auto first = (*db)->prepare("SELECT a, b, c FROM t ORDER BY rowid");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(*(*first)->step());
  auto st = (*db)->prepare("SELECT a, b, c FROM t ORDER BY rowid");
  ASSERT_TRUE(st.ok());
  int rows = 0;
  for (;;) {
    auto r = (*st)->step();
    ASSERT_TRUE(r.ok());
    if (!*r) break;
    EXPECT_EQ((*st)->col_text(0), kept);
    EXPECT_EQ((*st)->col_text(1), std::string(40, 't') + std::to_string(rows));
    EXPECT_EQ((*st)->col_text(2), std::string(40, 'v'));
    ++rows;
  }
  (*st)->reset();
  EXPECT_EQ(rows, 3);
}

// Checkpoints run beside the writer; once the WAL reaches wal_limit_pages the writer
// checkpoints after its commit, so that the WAL starts over instead of growing with every
// commit. Nothing is lost either way.
TEST_F(StoreTest, TheWalIsCheckpointedBesideTheWriterAndStartsOver) {
  StoreOptions o;
  o.synchronous_full = false;
  o.checkpoint_pages = 8;
  o.wal_limit_pages = 32;
  constexpr int kCommits = 600;
  {
    auto s = Store::open(path(), o);
    ASSERT_TRUE(s.ok());
    const std::string body(3000, 'b');  // a page per row: each commit adds frames
    std::uintmax_t wal_max = 0;
    for (int i = 0; i < kCommits; ++i) {
      ASSERT_TRUE((*s)->run_sync([&body, i](Db& db) -> Status {
                        const std::string n = std::to_string(i);
                        auto r = insert_message(
                            db, MessageRow{"m" + n, "c", "xmpp:a@x", "sms:+33611111111", body,
                                           "xmpp", "o" + n, i});
                        return r.ok() ? Status{} : Status(r.error());
                      })
                      .ok());
      wal_max = std::max(wal_max, std::filesystem::file_size(path() + "-wal"));
    }
    const auto stats = (*s)->stats();
    EXPECT_GT(stats.checkpoints + stats.writer_checkpoints, 0u);
    // Without checkpoints it would hold every commit's frames: over kCommits pages.
    EXPECT_LT(wal_max, std::uintmax_t{200} * (4096 + 24));
  }
  auto s = Store::open(path(), o);
  ASSERT_TRUE(s.ok());
  std::int64_t rows = 0;
  ASSERT_TRUE((*s)->run_sync([&](Db& db) -> Status {
                    auto st = db.prepare("SELECT count(*) FROM messages");
                    if (!st.ok()) return st.error();
                    auto r = (*st)->step();
                    if (!r.ok()) return r.error();
                    rows = (*st)->col_int(0);
                    (*st)->reset();
                    return {};
                  })
                  .ok());
  EXPECT_EQ(rows, kCommits);
}

TEST_F(StoreTest, GroupCommitBatchesConcurrentJobs) {
  auto s = Store::open(path(), {.batch_max = 256, .batch_delay_ms = 0, .synchronous_full = true});
  ASSERT_TRUE(s.ok());
  std::atomic<int> done{0};
  constexpr int kJobs = 2000;
  for (int i = 0; i < kJobs; ++i) {
    (*s)->submit(
        [i](Db& db) { return set_optout(db, "+336" + std::to_string(10000000 + i), true, i); },
        [&](Status st) {
          EXPECT_TRUE(st.ok());
          ++done;
        });
  }
  (*s)->close();
  EXPECT_EQ(done.load(), kJobs);
  const auto stats = (*s)->stats();
  EXPECT_EQ(stats.jobs, static_cast<std::uint64_t>(kJobs));
  EXPECT_LT(stats.commits, static_cast<std::uint64_t>(kJobs));  // batched
  // After close, submissions fail fast instead of vanishing.
  std::promise<Status> late;
  (*s)->submit([](Db&) -> Status { return {}; }, [&](Status st) { late.set_value(st); });
  EXPECT_FALSE(late.get_future().get().ok());
}

TEST_F(StoreTest, DeliveriesRoundTripAndOnlyOpenOnesLoad) {
  auto s = Store::open(path(), {});
  ASSERT_TRUE(s.ok());
  DeliveryRow d;
  d.id = "D1";
  d.message_id = "M1";
  d.connector = "smpp:primary";
  d.sender = "sms:+33700000001";
  d.recipient = "sms:+33611111111";
  d.body = "hello";
  d.state = DeliveryState::routed;
  DeliveryRow done_row = d;
  done_row.id = "D2";
  done_row.state = DeliveryState::delivered;
  ASSERT_TRUE((*s)->run_sync([&](Db& db) -> Status {
                    MessageRow m{"M1", "c1", d.sender, d.recipient, "hello", "xmpp", "", 1};
                    if (auto r = insert_message(db, m); !r.ok()) return r.error();
                    if (auto st = insert_delivery(db, d); !st.ok()) return st;
                    if (auto st = insert_delivery(db, done_row); !st.ok()) return st;
                    d.state = DeliveryState::acked;
                    d.attempts = 2;
                    return update_delivery(db, d);
                  })
                  .ok());
  std::vector<DeliveryRow> open;
  ASSERT_TRUE((*s)->run_sync([&](Db& db) {
                    return load_open_deliveries(db, [&](DeliveryRow r) { open.push_back(r); });
                  })
                  .ok());
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, "D1");
  EXPECT_EQ(open[0].state, DeliveryState::acked);
  EXPECT_EQ(open[0].attempts, 2);
  EXPECT_EQ(open[0].body, "hello");  // the message's body
  EXPECT_TRUE(open[0].attachments.empty());
}

// A message's files travel with its deliveries, through a restart.
TEST_F(StoreTest, AttachmentsAreKeptWithTheMessage) {
  const Attachment photo{"photo.jpg", "image/jpeg", 2500000, std::string(64, 'a'),
                         "http://127.0.0.1:8480/files/abc/photo.jpg"};
  {
    auto s = Store::open(path(), {});
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->run_sync([&](Db& db) -> Status {
                      MessageRow m{"M1", "c1",   "rcs:+33611111111", "xmpp:a@x", "", "rcs:a", "m1",
                                   1,    {photo}};
                      if (auto r = insert_message(db, m); !r.ok()) return r.error();
                      DeliveryRow d;
                      d.id = "D1";
                      d.message_id = "M1";
                      d.connector = "xmpp";
                      d.sender = m.sender;
                      d.recipient = m.recipient;
                      d.state = DeliveryState::sent;
                      return insert_delivery(db, d);
                    })
                    .ok());
  }
  auto s = Store::open(path(), {});
  ASSERT_TRUE(s.ok());
  std::vector<DeliveryRow> open;
  ASSERT_TRUE((*s)->run_sync([&](Db& db) {
                    return load_open_deliveries(db, [&](DeliveryRow r) { open.push_back(r); });
                  })
                  .ok());
  ASSERT_EQ(open.size(), 1u);
  ASSERT_EQ(open[0].attachments.size(), 1u);
  const Attachment& a = open[0].attachments[0];
  EXPECT_EQ(a.name, photo.name);
  EXPECT_EQ(a.content_type, photo.content_type);
  EXPECT_EQ(a.size, photo.size);
  EXPECT_EQ(a.sha256, photo.sha256);
  EXPECT_EQ(a.url, photo.url);
}

TEST(AttachmentsText, RoundTripAndUnreadableIsNone) {
  EXPECT_EQ(encode_attachments({}), "");
  EXPECT_TRUE(decode_attachments("").empty());
  const std::vector<Attachment> two{{"a \"b\".txt", "text/plain", 3, "", "https://x/a"},
                                    {"", "", 0, "", "https://x/b"}};
  const auto back = decode_attachments(encode_attachments(two));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].name, "a \"b\".txt");
  EXPECT_EQ(back[0].size, 3u);
  EXPECT_EQ(back[1].url, "https://x/b");
  // Hand-edited or damaged: no attachments, never an exception.
  EXPECT_TRUE(decode_attachments("{not json").empty());
  EXPECT_TRUE(decode_attachments("{\"url\": \"x\"}").empty());
  EXPECT_TRUE(decode_attachments("[1, {\"name\": \"no url\"}]").empty());
  EXPECT_EQ(decode_attachments("[{\"url\": \"u\", \"size\": -4}]").at(0).size, 0u);
}

TEST(AttachmentsText, AThumbnailIsKeptWithItsFile) {
  Attachment a{"p.jpg", "image/jpeg", 5000000, "ab", "https://x/p"};
  a.thumbnail = Thumbnail{"https://x/t", "image/png", 2048};
  const auto back = decode_attachments(encode_attachments({a}));
  ASSERT_EQ(back.size(), 1u);
  ASSERT_TRUE(back[0].thumbnail);
  EXPECT_EQ(back[0].thumbnail->url, "https://x/t");
  EXPECT_EQ(back[0].thumbnail->content_type, "image/png");
  EXPECT_EQ(back[0].thumbnail->size, 2048u);
  // Without one, or one without a link (stored by hand): none.
  EXPECT_FALSE(
      decode_attachments(encode_attachments({Attachment{"f", "", 1, "", "u"}})).at(0).thumbnail);
  EXPECT_FALSE(
      decode_attachments(R"([{"url": "u", "thumbnail": {"type": "image/png"}}])").at(0).thumbnail);
  EXPECT_FALSE(decode_attachments(R"([{"url": "u", "thumbnail": "t"}])").at(0).thumbnail);
}

TEST_F(StoreTest, ChargesSumPerPayerAndMonth) {
  auto s = Store::open(path(), {});
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->run_sync([&](Db& db) -> Status {
                    if (auto st = insert_charges(db, "D1", "alice", "primary", 3, 5, "2026-11", 1);
                        !st.ok())
                      return st;
                    if (auto st = insert_charges(db, "D2", "alice", "primary", 1, 7, "2026-10", 1);
                        !st.ok())
                      return st;
                    if (auto st = insert_charges(db, "D3", "bob", "primary", 2, 5, "2026-11", 1);
                        !st.ok())
                      return st;
                    return delete_charges(db, "D3");
                  })
                  .ok());
  std::map<std::string, std::int64_t> spend;
  ASSERT_TRUE((*s)->run_sync([&](Db& db) {
                    return load_spend(db, "2026-11",
                                      [&](std::string p, std::int64_t t) { spend[p] = t; });
                  })
                  .ok());
  EXPECT_EQ(spend.size(), 1u);
  EXPECT_EQ(spend["alice"], 15);
}

// How SQLite runs a query: the `detail` column of each row of its plan, one per line.
std::string query_plan(Store& s, const std::function<Result<Stmt*>(Db&)>& prepare) {
  std::string plan;
  for (const auto& step : column_of(s, 3, prepare)) plan += step + "\n";
  return plan;
}

// Charges are read by month and deleted by delivery, each through its index; no other
// index is kept up to date for every new charge.
TEST_F(StoreTest, ChargesAreReadByMonthAndDeletedByDeliveryThroughTheirIndexes) {
  auto s = Store::open(path(), {});
  ASSERT_TRUE(s.ok());
  EXPECT_NE(query_plan(**s,
                       [](Db& db) {
                         return db.prepare(
                             "EXPLAIN QUERY PLAN SELECT payer, SUM(price) FROM charges "
                             "WHERE month=? GROUP BY payer");
                       })
                .find("charges_month"),
            std::string::npos);
  EXPECT_NE(
      query_plan(**s,
                 [](Db& db) {
                   return db.prepare("EXPLAIN QUERY PLAN DELETE FROM charges WHERE delivery_id=?");
                 })
          .find("charges_delivery"),
      std::string::npos);
  EXPECT_EQ(charges_indexes(**s), kChargesIndexes);
}

// A schema-3 database (charges indexed by payer and month) gets the month index and keeps
// its charges: the month's spend adds up the same after the upgrade.
TEST_F(StoreTest, UpgradesAVersionThreeDatabaseWithItsCharges) {
  {
    auto s = Store::open(path(), {});
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(
        (*s)->run_sync([](Db& db) -> Status {
              if (auto st = db.exec("DROP INDEX charges_month;"
                                    "CREATE INDEX charges_payer_month ON charges(payer, month);"
                                    "PRAGMA user_version = 3");
                  !st.ok())
                return st;
              if (auto st = insert_charges(db, "D1", "alice", "primary", 3, 5, "2026-11", 1);
                  !st.ok())
                return st;
              return insert_charges(db, "D2", "bob", "primary", 1, 7, "2026-11", 1);
            })
            .ok());
  }
  auto s = Store::open(path(), {});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ((*s)->schema_version(), 4);
  EXPECT_EQ(charges_indexes(**s), kChargesIndexes);
  std::map<std::string, std::int64_t> spend;
  ASSERT_TRUE((*s)->run_sync([&](Db& db) {
                    return load_spend(db, "2026-11",
                                      [&](std::string p, std::int64_t t) { spend[p] = t; });
                  })
                  .ok());
  EXPECT_EQ(spend, (std::map<std::string, std::int64_t>{{"alice", 15}, {"bob", 7}}));
}

TEST_F(StoreTest, PeopleWithAddresses) {
  auto s = Store::open(path(), {});
  ASSERT_TRUE(s.ok());
  PersonRow p{"bob", "+33611111111", true,
              500,   "config",       {"xmpp:bob@example.org", "sms:+33611111111"}};
  ASSERT_TRUE((*s)->run_sync([&](Db& db) { return upsert_person(db, p, 1); }).ok());
  std::vector<PersonRow> people;
  ASSERT_TRUE((*s)->run_sync([&](Db& db) {
                    return load_people(db, [&](PersonRow r) { people.push_back(r); });
                  })
                  .ok());
  ASSERT_EQ(people.size(), 1u);
  EXPECT_EQ(people[0].addresses.size(), 2u);
  EXPECT_EQ(people[0].monthly_cap, 500);
}

TEST_F(StoreTest, UnopenableFileIsAClearError) {
  auto s = Store::open((dir_ / "no" / "such" / "dir" / "x.db").string(), {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("cannot open database"), std::string::npos);
}

}  // namespace
}  // namespace passerelle::store
