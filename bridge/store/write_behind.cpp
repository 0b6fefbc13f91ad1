#include "store/write_behind.hpp"

#include <spdlog/spdlog.h>

namespace passerelle::store {

WriteBehind::WriteBehind(Store& store) : store_(store), shared_(std::make_shared<Shared>()) {}

void WriteBehind::put(std::string key, Write write, After after) {
  bool submit = false;
  {
    std::lock_guard lock(shared_->mu);
    auto& stats = shared_->stats;
    ++stats.writes;
    if (!shared_->pending) {
      shared_->pending = std::make_unique<Pending>();
      submit = true;
      ++stats.jobs;
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
        if (*taken) run(**taken, db, shared->failures);
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
      },
      Store::Replay::yes);
}

void WriteBehind::run(Pending& p, Db& db, std::atomic<std::uint64_t>& failures) {
  for (auto& e : p.entries) {
    if (!e.write) continue;
    // One failed write does not undo the others: they are unrelated rows.
    e.result = e.write(db);
    if (e.result.ok()) continue;
    // The row keeps its stored state; the caller's state has moved on. Reports waiting on
    // this write are refused (Outbox::settle), so that the network sends them again.
    failures.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("store: write {} failed: {}", e.key.empty() ? "(unkeyed)" : e.key,
                  e.result.error().message);
  }
}

WriteBehind::Stats WriteBehind::stats() const {
  std::lock_guard lock(shared_->mu);
  return shared_->stats;
}

}  // namespace passerelle::store
