#pragma once
// The hand-off from any thread to a connector's libstrophe thread (DESIGN.md §5).
// Thread-safe. Outbound events use try_push, bounded by `capacity` (policy when full:
// refuse, and the caller reports the delivery as failed-retryable so the outbox retries
// later). Internal work (acks from the core) uses push, which is not refused: its volume
// is bounded by the inbound stanzas that created it. After close() everything is dropped.
//
// Wake-up: the loop thread sleeps in poll() on wake_fd() (an eventfd) next to
// libstrophe's sockets. A push onto an empty queue makes it readable; drain() empties it
// before taking the tasks, so a task pushed at any moment is either taken by this drain
// or signals again for the next one.

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <system_error>

namespace passerelle::xmpp {

// An eventfd: wake() from any thread makes it readable until reset().
class Waker {
 public:
  Waker() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  ~Waker() { ::close(fd_); }
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  int fd() const { return fd_; }
  void wake() const {
    const std::uint64_t one = 1;
    // Only fails when the counter would overflow (it is then readable anyway).
    [[maybe_unused]] const auto n = ::write(fd_, &one, sizeof one);
  }
  void reset() const {
    std::uint64_t value = 0;
    [[maybe_unused]] const auto n = ::read(fd_, &value, sizeof value);  // EAGAIN: was not set
  }

 private:
  int fd_;
};

class TaskQueue {
 public:
  using Task = std::function<void()>;
  explicit TaskQueue(std::size_t capacity) : capacity_(capacity) {}

  bool try_push(Task t) {
    bool was_empty = false;
    {
      std::lock_guard lock(mu_);
      if (closed_ || bounded_ >= capacity_) return false;
      ++bounded_;
      was_empty = q_.empty();
      q_.push_back({std::move(t), true});
    }
    if (was_empty) waker_.wake();
    return true;
  }
  bool push(Task t) {
    bool was_empty = false;
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      was_empty = q_.empty();
      q_.push_back({std::move(t), false});
    }
    if (was_empty) waker_.wake();
    return true;
  }
  // Readable while tasks wait (and, rarely, once more after they were taken).
  int wake_fd() const { return waker_.fd(); }
  // Makes wake_fd() readable without a task (e.g. stop requested).
  void wake() const { waker_.wake(); }
  // Runs everything queued so far (on the owning thread). Returns how many ran.
  std::size_t drain() {
    waker_.reset();
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
  Waker waker_;
};

}  // namespace passerelle::xmpp
