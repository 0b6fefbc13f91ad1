#pragma once
// The linked accounts behind one account connector (AIM/ICQ, MSN; DESIGN.md §6): one
// session per account, started and stopped together, added, replaced and removed at run
// time (registration from the person's XMPP client), logins paced across accounts, and
// the connector's status as the sum of its accounts'.
//
// `Session` has start(), stop(done), address(), state(), reason(), reconnects() and
// queued(); once started, it stays alive on its own (shared_from_this) until its stop's
// `done` ran. A session that was never started is not asked to stop.
//
// Threads: everything on the connector's strand, except status(), which any thread may
// call. Lifetime: owned by the connector.

#include <spdlog/logger.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "config/config.hpp"
#include "connector/connector.hpp"
#include "model/address.hpp"

namespace passerelle {

// The account a registration links, as the configuration would give it (the section's
// server and defaults apply); refused when it is not on one of `networks`.
inline Result<config::LegacyAccount> linked_account(AccountLink link,
                                                    std::initializer_list<Network> networks,
                                                    std::string_view what) {
  if (std::find(networks.begin(), networks.end(), link.account.network) == networks.end())
    return Error::invalid(link.account.str() + " is not an " + std::string(what) + " account");
  if (link.password.empty()) return Error::invalid("a password is required");
  config::LegacyAccount a;
  a.network = std::string(network_name(link.account.network));
  a.login = link.account.id;
  a.password = std::move(link.password);
  return a;
}

template <class Session>
class AccountSet {
 public:
  using Clock = std::chrono::steady_clock;

  AccountSet(std::string what, std::shared_ptr<spdlog::logger> log, int login_interval_ms)
      : what_(std::move(what)),
        log_(std::move(log)),
        login_interval_(std::chrono::milliseconds(std::max(0, login_interval_ms))) {
    status_.state = LinkState::disabled;
  }

  Session* find(const Address& account) const {
    auto it = sessions_.find(account);
    return it == sessions_.end() ? nullptr : it->second.get();
  }
  bool empty() const { return sessions_.empty(); }
  bool started() const { return started_; }
  bool stopping() const { return stopping_; }

  // Adds an account, or replaces the session of the same address (new password): the old
  // one signs off before the new one signs on. Refused while stopping.
  bool add(std::shared_ptr<Session> s) {
    if (stopping_) {
      log_->info("{} not linked: the connector is stopping", s->address().str());
      return false;
    }
    const Address key = s->address();
    auto old = sessions_.find(key);
    if (old == sessions_.end()) {
      sessions_.emplace(key, s);
      if (started_) s->start();
      publish_status();
      return true;
    }
    auto previous = std::exchange(old->second, s);
    retired_reconnects_ += previous->reconnects();
    if (!started_) return true;  // never signed on: nothing to sign off
    ++outstanding_;
    previous->stop([this, previous, s, key] {
      if (started_ && !stopping_ && find(key) == s.get()) s->start();
      publish_status();
      finish_one();
    });
    publish_status();
    return true;
  }

  // Signs the account off and forgets it; `done` runs once it is off (or at once when
  // the account is unknown).
  void remove(const Address& account, std::function<void()> done = nullptr) {
    auto it = sessions_.find(account);
    if (it == sessions_.end()) {
      if (done) done();
      return;
    }
    auto s = std::move(it->second);
    sessions_.erase(it);
    retired_reconnects_ += s->reconnects();
    log_->info("{} unlinked", account.str());
    publish_status();
    if (!started_) {
      if (done) done();
      return;
    }
    ++outstanding_;
    s->stop([this, s, done = std::move(done)] {
      if (done) done();
      finish_one();
    });
  }

  void start() {
    if (started_) return;
    started_ = true;
    if (sessions_.empty()) log_->warn("no {} account linked yet", what_);
    for (auto& [addr, s] : sessions_) s->start();
    publish_status();
  }

  // Signs every account off, then `done` once (after accounts being removed are off too).
  void stop(std::function<void()> done) {
    if (stopping_) {
      if (done) done();
      return;
    }
    stopping_ = true;
    stop_done_ = std::move(done);
    if (started_) {
      outstanding_ += sessions_.size();
      for (auto& [addr, s] : sessions_) s->stop([this] { finish_one(); });
    }
    if (outstanding_ == 0 && stop_done_) std::exchange(stop_done_, nullptr)();
  }

  // When the next account may start a login: servers rate-limit logins per address.
  Clock::time_point login_slot() {
    const auto now = Clock::now();
    next_login_ = std::max(next_login_, now);
    const auto slot = next_login_;
    next_login_ += login_interval_;
    return slot;
  }

  // Up when every account is; the detail names the accounts that are not, with why.
  void publish_status() {
    LinkState agg = sessions_.empty() ? LinkState::disabled : LinkState::up;
    std::string detail;
    std::uint64_t reconnects = retired_reconnects_, queued = 0;
    for (auto& [addr, s] : sessions_) {
      reconnects += s->reconnects();
      queued += s->queued();
      if (s->state() == LinkState::up) continue;
      if (agg == LinkState::up || s->state() == LinkState::failed) agg = s->state();
      if (!detail.empty()) detail += "; ";
      detail += addr.str() + ": " + std::string(link_state_name(s->state()));
      if (!s->reason().empty()) detail += " (" + s->reason() + ")";
    }
    std::lock_guard lock(status_mu_);
    status_.state = agg;
    status_.detail = std::move(detail);
    status_.reconnects = reconnects;
    status_.queue_depth = queued;
  }

  ConnectorStatus status() const {
    std::lock_guard lock(status_mu_);
    return status_;
  }

  template <class F>
  void for_each(F&& f) const {
    for (auto& [addr, s] : sessions_) f(*s);
  }

 private:
  void finish_one() {
    if (--outstanding_ != 0 || !stopping_ || !stop_done_) return;
    log_->info("stopped");
    std::exchange(stop_done_, nullptr)();
  }

  std::string what_;
  std::shared_ptr<spdlog::logger> log_;
  Clock::duration login_interval_;
  std::map<Address, std::shared_ptr<Session>> sessions_;
  Clock::time_point next_login_{};
  std::uint64_t retired_reconnects_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  std::size_t outstanding_ = 0;  // sessions asked to stop that have not said done
  std::function<void()> stop_done_;
  mutable std::mutex status_mu_;
  ConnectorStatus status_;
};

}  // namespace passerelle
