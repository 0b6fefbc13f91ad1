#pragma once
// The store: one SQLite database in WAL mode, one writer thread that runs submitted jobs
// in batched transactions (group commit, DESIGN.md §5). Callers never touch SQLite on
// their own threads: they submit a Job and get its Status in `done` once the batch that
// ran it has committed, which is the moment the data is durable.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.hpp"
#include "store/db.hpp"

namespace passerelle::store {

struct StoreOptions {
  int batch_max = 512;     // jobs per transaction at most
  int batch_delay_ms = 0;  // wait this long for more jobs to join a batch
  // fsync the WAL at every commit (else only at checkpoints). When on, the writer's WAL
  // writes go to the kernel in one piece at each commit (wal_vfs.hpp).
  bool synchronous_full = true;
  // The key of the secrets stored (secret_box.hpp), created if missing; "": <path>.key.
  std::string key_file;
  // Checkpoints (copying the WAL back into the database file, with its fsyncs) run on a
  // thread and connection of their own once the WAL holds checkpoint_pages pages, so that
  // the writer does not wait for them. The WAL starts over only once all of it has been
  // copied back, which a checkpointer running beside a steady stream of commits seldom
  // sees: when it reaches wal_limit_pages, the writer checkpoints after its commit.
  int checkpoint_pages = 1000;
  int wal_limit_pages = 4000;
};

struct StoreStats {
  std::uint64_t jobs = 0;
  std::uint64_t commits = 0;
  std::uint64_t queue_depth = 0;
  std::uint64_t replays = 0;             // batches run again with savepoints after a job failed
  std::uint64_t checkpoints = 0;         // by the checkpointer thread
  std::uint64_t writer_checkpoints = 0;  // by the writer, the WAL at wal_limit_pages
};

class Store {
 public:
  using Job = std::function<Status(Db&)>;
  using Done = std::function<void(Status)>;

  // Opens (creating if needed) the database, applies pending migrations, loads (or
  // creates) the key of its secrets, seals any secret still stored in clear, and starts the
  // writer. Fails with the reason when the file cannot be opened, a migration fails or the
  // key file cannot be used.
  static Result<std::unique_ptr<Store>> open(const std::string& path, StoreOptions options);
  ~Store();

  // Whether a job may run twice. A batch made only of replayable jobs runs without a
  // savepoint per job; if one of them fails, the batch is rolled back and run again with
  // savepoints, so the others run a second time. A replayable job writes only to the
  // database and to state it overwrites (never appends) on each run.
  enum class Replay { no, yes };

  // Queues `job` for the next batch. Each job is atomic: a job that returns an error is
  // rolled back alone. `done` runs on the writer thread after the commit (or with the
  // error); it must be quick: post elsewhere for real work. Thread-safe.
  void submit(Job job, Done done, Replay replay = Replay::no);

  // Runs `job` and waits for its commit. For start-up and tools only, never on a strand.
  Status run_sync(Job job);

  // Finishes every queued job, then stops the writer. Idempotent.
  void close();

  StoreStats stats() const;
  // Jobs that have returned an error, and commits that failed, so far; counted the moment
  // each fails, on the writer thread (a job of a batch run again fails and counts again). A
  // job reading it sees every failure of the jobs before it, those of its own batch included.
  std::uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
  int schema_version() const { return schema_version_; }
  bool created_key() const { return created_key_; }  // the key file was made by open()

 private:
  Store(std::unique_ptr<Db> db, StoreOptions options);
  void writer_loop();
  struct Queued {
    Job job;
    Done done;
    Replay replay = Replay::no;
  };
  void run_batch(std::deque<Queued>& batch);
  // Hands a job its result, releasing its job and completion.
  static void finish(Queued& q, Status st);
  // Runs every job of `batch` in one transaction; false (rolled back) at the first job
  // that fails.
  bool run_fast(std::deque<Queued>& batch);
  // SQLite's WAL hook on the writer's connection, after each commit: `pages` in the WAL.
  static int on_wal_commit(void* store, sqlite3* db, const char* name, int pages);
  void checkpointer_loop();
  void stop_checkpointer();

  std::unique_ptr<Db> db_;
  StoreOptions options_;
  int schema_version_ = 0;
  bool created_key_ = false;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Queued> queue_;
  bool closing_ = false;
  bool stopped_ = false;  // the writer has exited; submit() fails fast
  std::atomic<std::uint64_t> failures_{0};
  StoreStats stats_;
  std::thread writer_;
  // The checkpointer: its connection (null: the writer checkpoints as SQLite does by
  // default), what wakes it, and the lock one checkpoint at a time holds, either thread's.
  std::unique_ptr<Db> checkpoint_db_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool checkpoint_closing_ = false;
  // WAL frames the checkpointer's last run left copied back, and the WAL's size at the
  // writer's last commit (a smaller one means the WAL started over).
  std::atomic<int> wal_copied_{0};
  int wal_pages_seen_ = 0;  // writer thread only
  std::mutex checkpoint_run_mu_;
  std::thread checkpointer_;
};

// Applies the migrations newer than the database's user_version, each in its own
// transaction. Returns the resulting version.
Result<int> migrate(Db& db);

}  // namespace passerelle::store
