#include "rcs/session/pool.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace passerelle::rcs::detail {

namespace asio = boost::asio;

Pool::Pool(asio::any_io_executor strand, Origin home, std::size_t max_connections,
           std::size_t max_waiting, std::chrono::milliseconds idle_keep)
    : strand_(std::move(strand)),
      home_(std::move(home)),
      max_connections_(std::max<std::size_t>(1, max_connections)),
      max_waiting_(max_waiting),
      idle_keep_(idle_keep) {}

Pool::Turn::~Turn() {
  if (pool_) pool_->release();
}

asio::awaitable<Result<Pool::Turn>> Pool::acquire(Clock::time_point deadline) {
  if (stopped_) co_return Error::transient("the client was stopped");
  if (in_use_ < max_connections_) {
    ++in_use_;
    co_return Turn(this);
  }
  if (waiters_.size() >= max_waiting_) {
    co_return Error::transient("too many requests waiting for a connection (" +
                               std::to_string(waiters_.size()) + ")");
  }
  auto w = std::make_shared<Waiter>(strand_);
  w->timer.expires_at(deadline);
  waiters_.push_back(w);
  // Woken by release() (granted: the turn is handed over as is), stop() or the deadline.
  co_await w->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (w->granted) {
    if (stopped_) {
      release();
      co_return Error::transient("the client was stopped");
    }
    co_return Turn(this);
  }
  if (auto it = std::find(waiters_.begin(), waiters_.end(), w); it != waiters_.end())
    waiters_.erase(it);
  if (stopped_) co_return Error::transient("the client was stopped");
  co_return Error::transient("no connection became free in time (" +
                             std::to_string(max_connections_) + " busy)");
}

void Pool::release() {
  if (!waiters_.empty()) {
    auto w = std::move(waiters_.front());
    waiters_.pop_front();
    w->granted = true;
    w->timer.cancel();
    return;
  }
  if (in_use_ > 0) --in_use_;
}

Pool::Lease::Lease(Pool& p, std::unique_ptr<Connection> c) : pool_(p), conn_(std::move(c)) {
  pool_.busy_.insert(conn_.get());
}

Pool::Lease::~Lease() {
  pool_.busy_.erase(conn_.get());
  pool_.give_back(std::move(conn_));
}

std::unique_ptr<Connection> Pool::take_idle(const Origin& origin) {
  const auto now = Clock::now();
  for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
    if ((*it)->origin() != origin) continue;
    auto c = std::move(*it);
    idle_.erase(std::next(it).base());
    if (c->is_open() && now - c->idle_since() < idle_keep_) return c;
    c->close();
    return take_idle(origin);
  }
  return nullptr;
}

void Pool::give_back(std::unique_ptr<Connection> c) {
  if (!c) return;
  if (stopped_ || !c->reusable() || c->origin() != home_) {
    c->close();
    return;
  }
  idle_.push_back(std::move(c));
  if (idle_.size() > max_connections_) {
    idle_.front()->close();
    idle_.erase(idle_.begin());
  }
}

void Pool::stop() {
  stopped_ = true;
  for (auto& c : idle_) c->close();
  idle_.clear();
  for (Connection* c : busy_) c->close();
  for (auto& w : waiters_) w->timer.cancel();
  waiters_.clear();
}

}  // namespace passerelle::rcs::detail
