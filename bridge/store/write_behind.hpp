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

#include <atomic>
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

  explicit WriteBehind(Store& store);

  // Queues `write` under `key` (empty: never coalesced). `after`, if given, runs once the
  // write (or the one that replaced it) has committed.
  void put(std::string key, Write write, After after = nullptr);

  struct Stats {
    std::uint64_t writes = 0;    // put() calls
    std::uint64_t replaced = 0;  // writes superseded before they ran
    std::uint64_t jobs = 0;      // store jobs submitted
  };
  Stats stats() const;
  // Writes that have failed so far, counted as each fails on the writer thread: a store job
  // reading it sees the failures of every write put before the job was submitted.
  std::uint64_t failures() const { return shared_->failures.load(std::memory_order_relaxed); }

 private:
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
  };
  static void run(Pending& p, Db& db, std::atomic<std::uint64_t>& failures);

  Store& store_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace passerelle::store
