#include "store/store.hpp"

#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <future>

#include "store/records.hpp"
#include "store/secret_box.hpp"

namespace passerelle::store {

Result<std::unique_ptr<Store>> Store::open(const std::string& path, StoreOptions options) {
  auto db = Db::open(path, options.synchronous_full);
  if (!db.ok()) return db.error();
  Db& d = **db;
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON",
                             "PRAGMA temp_store=MEMORY", "PRAGMA cache_size=-65536"}) {
    if (auto st = d.exec(pragma); !st.ok()) return st.error();
  }
  if (auto st = d.exec(options.synchronous_full ? "PRAGMA synchronous=FULL"
                                                : "PRAGMA synchronous=NORMAL");
      !st.ok())
    return st.error();
  auto version = migrate(d);
  if (!version.ok()) return version.error();
  auto box = SecretBox::load_or_create(options.key_file.empty() ? path + ".key" : options.key_file);
  if (!box.ok()) return box.error();
  const bool created_key = box->created();
  d.set_secrets(std::make_shared<const SecretBox>(std::move(*box)));
  if (auto st = seal_clear_passwords(d); !st.ok()) return st.error();
  bool wal = false;
  if (auto mode = d.prepare("PRAGMA journal_mode"); mode.ok()) {
    auto row = (*mode)->step();
    wal = row.ok() && *row && (*mode)->col_text(0) == "wal";
    (*mode)->reset();
  }
  std::unique_ptr<Db> checkpoint_db;
  if (wal) {
    // Without it (the file cannot be opened twice), the writer checkpoints as before.
    auto second = Db::open(path);
    if (second.ok() && (*second)
                           ->exec(options.synchronous_full ? "PRAGMA synchronous=FULL"
                                                           : "PRAGMA synchronous=NORMAL")
                           .ok())
      checkpoint_db = std::move(*second);
  }
  std::unique_ptr<Store> store(new Store(std::move(*db), options));
  store->schema_version_ = *version;
  store->created_key_ = created_key;
  if (checkpoint_db) {
    store->checkpoint_db_ = std::move(checkpoint_db);
    // Replaces SQLite's automatic checkpoint on the writer's connection.
    sqlite3_wal_hook(store->db_->raw(), &Store::on_wal_commit, store.get());
    store->checkpointer_ = std::thread([s = store.get()] {
      pthread_setname_np(pthread_self(), "store-checkpt");
      s->checkpointer_loop();
    });
  }
  store->writer_ = std::thread([s = store.get()] {
    pthread_setname_np(pthread_self(), "store-writer");
    s->writer_loop();
  });
  return store;
}

Store::Store(std::unique_ptr<Db> db, StoreOptions options) : db_(std::move(db)), options_(options) {
  if (options_.batch_max < 1) options_.batch_max = 1;
  if (options_.checkpoint_pages < 1) options_.checkpoint_pages = 1;
  options_.wal_limit_pages = std::max(options_.wal_limit_pages, options_.checkpoint_pages);
}

Store::~Store() {
  close();
}

void Store::submit(Job job, Done done, Replay replay) {
  {
    std::lock_guard lock(mu_);
    if (!stopped_) {
      queue_.push_back(Queued{std::move(job), std::move(done), replay});
      stats_.queue_depth = queue_.size();
      cv_.notify_one();
      return;
    }
  }
  // The writer has stopped: nothing will run the job. Say so rather than drop it.
  if (done) done(Error{Errc::unavailable, "store is closed", false, 0});
}

Status Store::run_sync(Job job) {
  std::promise<Status> p;
  auto f = p.get_future();
  submit(std::move(job), [&p](Status st) { p.set_value(std::move(st)); });
  return f.get();
}

void Store::close() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id()) {
    writer_.join();
    stop_checkpointer();
  }
}

void Store::stop_checkpointer() {
  {
    std::lock_guard lock(checkpoint_mu_);
    checkpoint_closing_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
}

int Store::on_wal_commit(void* store, sqlite3* db, const char* name, int pages) {
  auto* s = static_cast<Store*>(store);
  if (pages < s->wal_pages_seen_) s->wal_copied_.store(0, std::memory_order_relaxed);
  s->wal_pages_seen_ = pages;
  if (pages >= s->options_.wal_limit_pages) {
    // Once the checkpointer's run (if any) is over, copy the rest back: no commit can come
    // in between, so the next transaction starts the WAL over.
    std::lock_guard run(s->checkpoint_run_mu_);
    if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) ==
        SQLITE_OK) {
      std::lock_guard lock(s->mu_);
      ++s->stats_.writer_checkpoints;
    }
  } else {
    // Woken once checkpoint_pages frames have come since its last run, not at every
    // commit: fewer, larger checkpoints copy a page rewritten by many commits once.
    int copied = s->wal_copied_.load(std::memory_order_relaxed);
    if (copied > pages) copied = 0;
    if (pages - copied < s->options_.checkpoint_pages) return SQLITE_OK;
    {
      std::lock_guard lock(s->checkpoint_mu_);
      s->checkpoint_wanted_ = true;
    }
    s->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;  // an error here would fail the statement whose commit is done
}

void Store::checkpointer_loop() {
  for (;;) {
    {
      std::unique_lock lock(checkpoint_mu_);
      checkpoint_cv_.wait(lock, [&] { return checkpoint_wanted_ || checkpoint_closing_; });
      if (checkpoint_closing_) return;
      checkpoint_wanted_ = false;
    }
    int rc;
    {
      std::lock_guard run(checkpoint_run_mu_);
      // Copies what the WAL holds as it starts, beside the writer's next commits.
      int frames = 0, copied = 0;
      rc = sqlite3_wal_checkpoint_v2(checkpoint_db_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                     &frames, &copied);
      if (rc == SQLITE_OK && copied >= 0) wal_copied_.store(copied, std::memory_order_relaxed);
    }
    std::lock_guard lock(mu_);
    if (rc == SQLITE_OK) ++stats_.checkpoints;
  }
}

StoreStats Store::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Store::writer_loop() {
  std::deque<Queued> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty() && closing_) {
        stopped_ = true;
        return;
      }
      if (options_.batch_delay_ms > 0 && static_cast<int>(queue_.size()) < options_.batch_max &&
          !closing_) {
        cv_.wait_for(lock, std::chrono::milliseconds(options_.batch_delay_ms), [&] {
          return closing_ || static_cast<int>(queue_.size()) >= options_.batch_max;
        });
      }
      const size_t n = std::min(queue_.size(), static_cast<size_t>(options_.batch_max));
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      stats_.queue_depth = queue_.size();
    }
    run_batch(batch);
    batch.clear();
  }
}

bool Store::run_fast(std::deque<Queued>& batch) {
  if (!db_->exec("BEGIN IMMEDIATE").ok()) return false;
  for (auto& q : batch) {
    if (!q.job(*db_).ok()) {
      failures_.fetch_add(1, std::memory_order_relaxed);
      (void)db_->exec("ROLLBACK");
      return false;
    }
  }
  if (db_->exec("COMMIT").ok()) return true;
  (void)db_->exec("ROLLBACK");
  return false;
}

void Store::finish(Queued& q, Status st) {
  // What the job and its completion hold goes now rather than with the batch: a
  // completion that posts elsewhere leaves the last reference to its data to that thread,
  // which frees it there instead of on the writer.
  q.job = nullptr;
  if (q.done) q.done(std::move(st));
  q.done = nullptr;
}

void Store::run_batch(std::deque<Queued>& batch) {
  const bool replayable = std::all_of(batch.begin(), batch.end(),
                                      [](const Queued& q) { return q.replay == Replay::yes; });
  if (replayable && run_fast(batch)) {
    for (auto& q : batch) finish(q, Status{});
    std::lock_guard lock(mu_);
    stats_.jobs += batch.size();
    stats_.commits += 1;
    return;
  }
  if (replayable) {
    std::lock_guard lock(mu_);
    stats_.replays += 1;
  }
  std::vector<Status> results;
  results.reserve(batch.size());
  Status begun = db_->exec("BEGIN IMMEDIATE");
  if (begun.ok()) {
    // Savepoint statements are prepared once; sqlite3_exec would parse them per job.
    auto savepoint = db_->prepare("SAVEPOINT job");
    auto release = db_->prepare("RELEASE job");
    auto rollback = db_->prepare("ROLLBACK TO job");
    for (auto& q : batch) {
      if (!savepoint.ok() || !release.ok() || !rollback.ok()) {
        results.push_back(Error{Errc::internal, "sqlite: cannot prepare savepoints", false, 0});
        continue;
      }
      Status st = (*savepoint)->run();
      if (st.ok()) st = q.job(*db_);
      if (!st.ok()) {
        failures_.fetch_add(1, std::memory_order_relaxed);
        (void)(*rollback)->run();
      }
      (void)(*release)->run();
      results.push_back(std::move(st));
    }
    Status committed = db_->exec("COMMIT");
    if (!committed.ok()) {
      failures_.fetch_add(1, std::memory_order_relaxed);
      (void)db_->exec("ROLLBACK");
      for (auto& r : results)
        if (r.ok()) r = committed;
    }
  } else {
    results.assign(batch.size(), begun);
  }
  for (size_t i = 0; i < batch.size(); ++i) finish(batch[i], std::move(results[i]));
  std::lock_guard lock(mu_);
  stats_.jobs += batch.size();
  stats_.commits += 1;
}

}  // namespace passerelle::store
