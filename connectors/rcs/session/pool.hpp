#pragma once
// The connections of one platform: at most `max_connections` requests on the wire at once
// (the others wait their turn, up to `max_waiting` of them, each until its deadline), and up
// to `max_connections` idle keep-alive connections to the platform's origin for reuse.
// Private to the session.
//
// Threads: every member runs on the client's strand.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <set>
#include <vector>

#include "core/result.hpp"
#include "rcs/session/connection.hpp"

namespace passerelle::rcs::detail {

class Pool {
 public:
  Pool(boost::asio::any_io_executor strand, Origin home, std::size_t max_connections,
       std::size_t max_waiting, std::chrono::milliseconds idle_keep);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A turn on the wire; gives it to the next waiter (or frees it) when destroyed.
  class Turn {
   public:
    explicit Turn(Pool* p) : pool_(p) {}
    Turn(Turn&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)) {}
    Turn& operator=(Turn&&) = delete;
    ~Turn();

   private:
    Pool* pool_;
  };

  // Waits for a turn until `deadline`. unavailable when the queue is full, the deadline
  // passed or the pool was stopped.
  boost::asio::awaitable<Result<Turn>> acquire(Clock::time_point deadline);

  // A connection in use: closed by stop(), given back (kept or closed) when destroyed.
  class Lease {
   public:
    Lease(Pool& p, std::unique_ptr<Connection> c);
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    Connection* operator->() const { return conn_.get(); }

   private:
    Pool& pool_;
    std::unique_ptr<Connection> conn_;
  };

  // The most recently used idle connection to `origin` that is still open and was idle for
  // less than idle_keep; nullptr when there is none.
  std::unique_ptr<Connection> take_idle(const Origin& origin);

  // Closes the idle connections and those in use, wakes the waiters; later calls fail.
  void stop();
  bool stopped() const { return stopped_; }
  std::size_t idle_count() const { return idle_.size(); }
  std::size_t in_use() const { return in_use_; }

 private:
  struct Waiter {
    explicit Waiter(boost::asio::any_io_executor ex) : timer(ex) {}
    boost::asio::steady_timer timer;
    bool granted = false;
  };
  void release();
  void give_back(std::unique_ptr<Connection> c);

  boost::asio::any_io_executor strand_;
  Origin home_;
  std::size_t max_connections_;
  std::size_t max_waiting_;
  std::chrono::milliseconds idle_keep_;
  std::size_t in_use_ = 0;
  bool stopped_ = false;
  std::deque<std::shared_ptr<Waiter>> waiters_;
  std::vector<std::unique_ptr<Connection>> idle_;  // oldest first
  std::set<Connection*> busy_;
};

}  // namespace passerelle::rcs::detail
