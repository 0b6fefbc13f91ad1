#pragma once
// One event waiting for the connector's verdict: the `done` handed to the connector (any
// thread, once) on one side, the connection's coroutine (its strand) on the other. The
// connection arms a timer and sleeps on it; settling cancels the timer on the strand.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "core/result.hpp"

namespace passerelle::rcs {

class PendingVerdict : public std::enable_shared_from_this<PendingVerdict> {
 public:
  // `strand`: the connection's.
  explicit PendingVerdict(boost::asio::any_io_executor strand) : strand_(std::move(strand)) {}

  // The connector's `done`. The first call settles; later ones are ignored (logged at debug).
  // Destroying every copy without a call settles with a retryable error.
  std::function<void(Status)> make_done();

  // Any thread. False when already settled or abandoned.
  bool settle(Status verdict);
  bool settled() const;

  // On the connection's strand: the timer to cancel on settling (null: none).
  void arm(boost::asio::steady_timer* timer) { timer_ = timer; }
  // On the connection's strand: the verdict, or none when it did not come in time; either
  // way the wait is over and later calls of `done` are ignored.
  std::optional<Status> take();

 private:
  mutable std::mutex mu_;
  std::optional<Status> verdict_;
  bool abandoned_ = false;
  boost::asio::any_io_executor strand_;
  boost::asio::steady_timer* timer_ = nullptr;  // strand only
};

}  // namespace passerelle::rcs
