#include "rcs/webhook/pending.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/post.hpp>

namespace passerelle::rcs {

namespace {
// Held by every copy of a `done`; the last copy going away without a call is an answer too,
// so that a connector losing the callback costs the platform a retry, not handler_timeout.
struct DoneToken {
  explicit DoneToken(std::shared_ptr<PendingVerdict> p) : pending(std::move(p)) {}
  DoneToken(const DoneToken&) = delete;
  DoneToken& operator=(const DoneToken&) = delete;
  ~DoneToken() {
    if (!called.load())
      pending->settle(Error::transient("the connector dropped the event without an answer"));
  }
  std::shared_ptr<PendingVerdict> pending;
  std::atomic<bool> called{false};
};
}  // namespace

std::function<void(Status)> PendingVerdict::make_done() {
  auto token = std::make_shared<DoneToken>(shared_from_this());
  return [token](Status verdict) {
    if (token->called.exchange(true)) {
      spdlog::debug("rcs webhook: an event's done() called more than once; ignored");
      return;
    }
    token->pending->settle(std::move(verdict));
  };
}

bool PendingVerdict::settle(Status verdict) {
  {
    std::lock_guard lock(mu_);
    if (verdict_ || abandoned_) return false;
    verdict_ = std::move(verdict);
  }
  boost::asio::post(strand_, [self = shared_from_this()] {
    if (self->timer_ != nullptr) self->timer_->cancel();
  });
  return true;
}

bool PendingVerdict::settled() const {
  std::lock_guard lock(mu_);
  return verdict_.has_value();
}

std::optional<Status> PendingVerdict::take() {
  std::lock_guard lock(mu_);
  timer_ = nullptr;
  abandoned_ = true;
  return verdict_;
}

}  // namespace passerelle::rcs
