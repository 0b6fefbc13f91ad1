#pragma once
// The hand-off from any thread to a connector's libstrophe thread (DESIGN.md §5).
// Thread-safe. Outbound events use try_push, bounded by `capacity` (policy when full:
// refuse, and the caller reports the delivery as failed-retryable so the outbox retries
// later). Internal work (acks from the core) uses push, which is not refused: its volume
// is bounded by the inbound stanzas that created it. After close() everything is dropped.

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace passerelle::xmpp {

class TaskQueue {
 public:
  using Task = std::function<void()>;
  explicit TaskQueue(std::size_t capacity) : capacity_(capacity) {}

  bool try_push(Task t) {
    std::lock_guard lock(mu_);
    if (closed_ || bounded_ >= capacity_) return false;
    ++bounded_;
    q_.push_back({std::move(t), true});
    return true;
  }
  bool push(Task t) {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    q_.push_back({std::move(t), false});
    return true;
  }
  // Runs everything queued so far (on the owning thread). Returns how many ran.
  std::size_t drain() {
    std::deque<Item> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(q_);
      bounded_ = 0;
    }
    for (auto& item : batch) item.task();
    return batch.size();
  }
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    q_.clear();
    bounded_ = 0;
  }
  std::size_t depth() const {
    std::lock_guard lock(mu_);
    return q_.size();
  }

 private:
  struct Item {
    Task task;
    bool bounded;
  };
  mutable std::mutex mu_;
  std::deque<Item> q_;
  std::size_t bounded_ = 0;
  std::size_t capacity_;
  bool closed_ = false;
};

}  // namespace passerelle::xmpp
