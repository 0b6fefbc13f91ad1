#include "store/write_behind.hpp"

#include <spdlog/spdlog.h>

namespace passerelle::store {

WriteBehind::WriteBehind(Store& store, std::chrono::milliseconds retry_after)
    : store_(store), shared_(std::make_shared<Shared>()) {
  shared_->retry_after = retry_after;
}

void WriteBehind::put(std::string key, Write write, After after) {
  bool submit = false;
  {
    std::lock_guard lock(shared_->mu);
    auto& stats = shared_->stats;
    ++stats.writes;
    if (!key.empty() && !shared_->failed.empty())
      shared_->failed.erase(key);  // this write supersedes the one that failed
    if (!shared_->pending) {
      shared_->pending = std::make_unique<Pending>();
      submit = true;
      ++stats.jobs;
      take_failed(*shared_);
    }
    auto& p = *shared_->pending;
    std::vector<After> afters;
    if (!key.empty()) {
      auto [it, inserted] = p.index.try_emplace(key, p.entries.size());
      if (!inserted) {
        // Replaced: the old write never runs; whoever waited for it waits for this one.
        auto& old = p.entries[it->second];
        old.write = nullptr;
        afters = std::move(old.afters);
        it->second = p.entries.size();
        ++stats.replaced;
      }
    }
    if (after) afters.push_back(std::move(after));
    p.entries.push_back(Entry{std::move(key), std::move(write), std::move(afters)});
    stats.failing = shared_->failed.size();
  }
  if (!submit) return;
  // The job takes whatever has gathered by the time the writer reaches it.
  auto taken = std::make_shared<std::unique_ptr<Pending>>();
  store_.submit(
      [shared = shared_, taken](Db& db) -> Status {
        if (!*taken) {  // a replay (see Store::Replay) runs what the first run took
          std::lock_guard lock(shared->mu);
          *taken = std::move(shared->pending);
        }
        if (*taken) run(**taken, db, *shared);
        return {};
      },
      [shared = shared_, taken](Status st) {
        if (!*taken) {
          // The store closed before the job ran: nothing was written.
          std::lock_guard lock(shared->mu);
          *taken = std::move(shared->pending);
        }
        if (!*taken) return;
        for (auto& e : (*taken)->entries)
          for (auto& a : e.afters) a(st.ok() ? e.result : st);
        if (st.ok()) return;  // the writes that failed alone were kept by run()
        // Nothing of the job was written. Its writes of rows put again since in a later
        // job of the same batch are replaced by those when their completions run.
        std::lock_guard lock(shared->mu);
        std::size_t kept = 0;
        for (auto& e : (*taken)->entries)
          if (e.write && !e.key.empty()) kept += keep(*shared, e.key, std::move(e.write));
        if (kept > 0) log_kept(*shared, kept);
      },
      Store::Replay::yes);
}

void WriteBehind::retry(const std::string& key) {
  Write write;
  {
    std::lock_guard lock(shared_->mu);
    auto it = shared_->failed.find(key);
    if (it == shared_->failed.end()) return;
    write = std::move(it->second);
    shared_->failed.erase(it);
  }
  spdlog::info("store: trying the failed write {} again", key);
  put(key, std::move(write));
}

void WriteBehind::take_failed(Shared& shared) {
  if (shared.failed.empty() || Clock::now() < shared.retry_at) return;
  auto& p = *shared.pending;
  for (auto& [key, write] : shared.failed) {
    p.index.emplace(key, p.entries.size());
    p.entries.push_back(Entry{key, std::move(write), {}});
  }
  spdlog::info("store: trying {} write(s) that failed again", shared.failed.size());
  shared.failed.clear();
}

bool WriteBehind::keep(Shared& shared, const std::string& key, Write write) {
  // A write of the same row put since, not yet run, has the newer state.
  if (shared.pending && shared.pending->index.count(key)) return false;
  shared.failed.insert_or_assign(key, std::move(write));
  shared.retry_at = Clock::now() + shared.retry_after;
  shared.stats.failing = shared.failed.size();
  return true;
}

void WriteBehind::log_kept(const Shared& shared, std::size_t kept) {
  spdlog::warn(
      "store: {} write(s) not stored, kept in memory and tried again with the next "
      "writes from {} ms on ({} waiting)",
      kept, shared.retry_after.count(), shared.failed.size());
}

void WriteBehind::run(Pending& p, Db& db, Shared& shared) {
  for (auto& e : p.entries) {
    if (!e.write) continue;
    // One failed write does not undo the others: they are unrelated rows.
    e.result = e.write(db);
    if (e.result.ok()) continue;
    shared.failures.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("store: write {} failed: {}", e.key.empty() ? "(unkeyed)" : e.key,
                  e.result.error().message);
    if (e.key.empty()) continue;
    // Jobs run in order, so a later write of this row, if any, is still pending.
    std::lock_guard lock(shared.mu);
    if (keep(shared, e.key, e.write)) log_kept(shared, 1);
  }
}

WriteBehind::Stats WriteBehind::stats() const {
  std::lock_guard lock(shared_->mu);
  return shared_->stats;
}

}  // namespace passerelle::store
