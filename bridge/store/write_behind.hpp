#pragma once
// Coalesced row writes (DESIGN.md §4, §5). A delivery changes state several times in a
// few milliseconds (handed out, acknowledged, delivered); each change must be durable
// before the bridge acts on it only where a crash would otherwise lose or repeat
// something, and only its last state matters to the store. A WriteBehind gathers such
// writes, keyed by the row they write, into one store job: a later write to the same key
// replaces the earlier one while that job has not started, and the job runs every write
// in one transaction without a savepoint each.
//
// Thread-safe; writes are applied in the order of their last `put`. A write depends only
// on rows committed before it is put (the job runs after every job submitted earlier).
//
// A write that fails (or whose commit fails) is kept, unless a later write of the same row
// replaced it, and runs again with the first job from a second later: the row's state is
// held in memory until the store takes it, instead of being lost while the bridge runs.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/store.hpp"

namespace passerelle::store {

class WriteBehind {
 public:
  // One write. It must leave the database consistent if it fails half way (independent
  // row writes), since it has no savepoint of its own.
  using Write = std::function<Status(Db&)>;
  // Runs on the store's writer thread once the write is durable (or with why it is not,
  // including when a later write to the same key replaced it and that one failed).
  using After = std::function<void(Status)>;

  // `retry_after`: how long a failed write waits before it joins a job again.
  explicit WriteBehind(Store& store,
                       std::chrono::milliseconds retry_after = std::chrono::seconds(1));

  // Queues `write` under `key` (empty: never coalesced, nor kept when it fails). `after`, if given,
  // runs once the write (or the one that replaced it) has committed.
  void put(std::string key, Write write, After after = nullptr);

  struct Stats {
    std::uint64_t writes = 0;    // put() calls
    std::uint64_t replaced = 0;  // writes superseded before they ran
    std::uint64_t jobs = 0;      // store jobs submitted
    std::uint64_t failing = 0;   // rows whose last write failed, kept to be tried again
  };
  Stats stats() const;
  // Puts the failed write kept under `key`, if any, again now rather than after its delay.
  void retry(const std::string& key);
  // Writes that have failed so far, counted as each fails on the writer thread. A store
  // job reading it sees every failure of the writes put before it was submitted.
  std::uint64_t failures() const { return shared_->failures.load(std::memory_order_relaxed); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::string key;
    Write write;  // empty: replaced by a later entry
    std::vector<After> afters;
    Status result;
  };
  struct Pending {
    std::vector<Entry> entries;
    std::unordered_map<std::string, std::size_t> index;  // key -> position in entries
  };
  struct Shared {
    std::mutex mu;
    std::unique_ptr<Pending> pending;  // not yet taken by the writer; null: none queued
    Stats stats;
    std::atomic<std::uint64_t> failures{0};
    // Writes that failed (or whose commit did) and that no later write of the same row has
    // replaced: they join the first job submitted from `retry_at` on.
    std::unordered_map<std::string, Write> failed;
    Clock::time_point retry_at{};
    std::chrono::milliseconds retry_after;
  };
  static void run(Pending& p, Db& db, Shared& shared);
  // With shared.mu held: the failed writes into shared.pending once their time has come;
  // keeps one failed write (false: a later write of its row is pending); logs what was kept.
  static void take_failed(Shared& shared);
  static bool keep(Shared& shared, const std::string& key, Write write);
  static void log_kept(const Shared& shared, std::size_t kept);

  Store& store_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace passerelle::store
