#include "loop_connector.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

namespace passerelle::xmpp {
namespace {
constexpr auto kCloseTimeout = std::chrono::milliseconds(3000);
// Turns taken without sleeping after a turn that had something to do (a socket or the
// queue was ready). One sends what handlers queued during the previous turn (libstrophe
// writes only at the start of a turn). With TLS, three more read what OpenSSL still
// holds: it decrypts a whole TLS record (up to 16 KiB) while a turn reads 4 KiB, and those
// bytes no longer show on the socket. Without TLS the socket shows all there is, and the
// three would only cost system calls (about 10 per message on a component's stream).
// Each of these turns polls first, so one that finds more to do starts the count again.
// Output queued by handlers of a turn that was not counted as busy is still written
// promptly: once a stream is up, all output is ours, counted in libstrophe's queue
// length, and wait() asks for POLLOUT; during negotiation wait() sleeps briefly.
constexpr int kFollowUpTurns = 1;
constexpr int kFollowUpTurnsTls = 4;

int severity(LinkState s) {
  switch (s) {
    case LinkState::up:
      return 0;
    case LinkState::disabled:
      return 1;
    case LinkState::connecting:
      return 2;
    case LinkState::stalled:
      return 3;
    case LinkState::backing_off:
      return 4;
    case LinkState::failed:
      return 5;
  }
  return 5;
}
}  // namespace

LoopConnector::LoopConnector(std::string name, EventSink& sink)
    : sink_(sink), name_(std::move(name)), queue_(std::make_shared<TaskQueue>(kQueueCapacity)) {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", rd());
  id_prefix_ = "pa" + std::string(buf) + "-";
}

LoopConnector::~LoopConnector() {
  stop_requested_ = true;
  queue_->wake();
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id())
      thread_.detach();  // destroyed from inside done(): the thread touches nothing after it
    else
      thread_.join();
  }
}

Capabilities LoopConnector::capabilities() const {
  Capabilities c;
  c.max_text_bytes = 64 * 1024;  // far below server stanza limits (Prosody: 256 KiB c2s)
  c.typing = true;               // XEP-0085
  c.receipts = true;             // XEP-0184
  c.files = false;               // attachments travel as links (XEP-0066)
  return c;
}

void LoopConnector::start() {
  if (started_.exchange(true)) return;
  thread_ = std::thread([this] { run(); });
}

void LoopConnector::stop(std::function<void()> done) {
  if (!started_.load()) {
    stop_requested_ = true;
    if (done) done();
    return;
  }
  {
    std::lock_guard lock(done_mu_);
    done_ = std::move(done);
  }
  stop_requested_ = true;
  queue_->wake();
}

void LoopConnector::send(OutboundEvent event) {
  const bool accepted =
      !stop_requested_.load() && queue_->try_push([this, ev = event]() { handle(ev); });
  if (accepted) return;
  const std::string why = stop_requested_.load() ? name_ + " is stopping"
                                                 : name_ + " outbound queue is full (" +
                                                       std::to_string(kQueueCapacity) + " events)";
  if (const auto* m = std::get_if<OutboundMessage>(&event)) {
    DeliveryReport r;
    r.connector = name_;
    r.delivery_id = m->delivery_id;
    r.state = DeliveryState::failed;
    r.reason = why;
    r.retryable = true;
    sink_.publish(std::move(r));
  } else {
    spdlog::warn("[{}] dropped an outbound event: {}", name_, why);
  }
}

ConnectorStatus LoopConnector::status() const {
  ConnectorStatus st;
  std::lock_guard lock(status_mu_);
  if (links_.empty()) {
    st.state = stop_requested_ ? LinkState::disabled : LinkState::connecting;
    st.detail = started_ ? "starting" : "not started";
  } else {
    int worst = -1;
    for (const auto& [account, info] : links_) {
      st.reconnects += info.reconnects;
      if (severity(info.state) > worst) {
        worst = severity(info.state);
        st.state = info.state;
      }
      if (info.state != LinkState::up) {
        if (!st.detail.empty()) st.detail += "; ";
        st.detail += account + ": " + std::string(link_state_name(info.state)) +
                     (info.reason.empty() ? "" : " (" + info.reason + ")");
      }
    }
    if (st.detail.empty()) st.detail = std::to_string(links_.size()) + " stream(s) up";
  }
  st.queue_depth = queue_->depth();
  return st;
}

SessionEnv LoopConnector::make_env(std::function<void(const xml::Element&)> send) {
  SessionEnv env;
  env.send = std::move(send);
  env.publish = [this](InboundEvent ev) { publish(std::move(ev)); };
  std::weak_ptr<TaskQueue> weak = queue_;
  env.post = [weak](std::function<void()> task) {
    if (auto q = weak.lock()) q->push(std::move(task));
  };
  env.next_id = [this] { return id_prefix_ + std::to_string(++id_seq_); };
  env.now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  return env;
}

void LoopConnector::publish(InboundEvent ev) {
  sink_.publish(std::move(ev));
}

void LoopConnector::link_state(const std::string& account, LinkState s, const std::string& reason,
                               std::uint64_t reconnects) {
  {
    std::lock_guard lock(status_mu_);
    links_[account] = LinkInfo{s, reason, reconnects};
  }
  AccountStateEvent ev;
  ev.connector = name_;
  ev.account = account;
  ev.state = s;
  ev.reason = reason;
  sink_.publish(std::move(ev));
}

void LoopConnector::report(const OutboundEvent& event, const Result<std::string>& sent) {
  const auto* m = std::get_if<OutboundMessage>(&event);
  if (!sent) {
    if (m) {
      DeliveryReport r;
      r.connector = name_;
      r.delivery_id = m->delivery_id;
      r.state = DeliveryState::failed;
      r.reason = sent.error().message;
      r.retryable = sent.error().retryable;
      sink_.publish(std::move(r));
    } else {
      spdlog::warn("[{}] outbound event not sent: {}", name_, sent.error().message);
    }
    return;
  }
  if (!m) return;
  // Handed to an authenticated stream: the server has it (no XEP-0198 acks here). A
  // bounce comes back as failed with network_id; a receipt as delivered.
  DeliveryReport r;
  r.connector = name_;
  r.delivery_id = m->delivery_id;
  r.network_id = *sent;
  r.network_ids = {*sent};
  r.state = DeliveryState::acked;
  sink_.publish(std::move(r));
}

Backoff LoopConnector::make_backoff(int initial_ms, int max_ms) {
  return Backoff(std::chrono::milliseconds(initial_ms), std::chrono::milliseconds(max_ms));
}

void LoopConnector::run() {
  // Visible in top -H and /proc/<pid>/task/*/comm (at most 15 characters).
  pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
  auto ctx = std::make_unique<strophe::Context>();
  setup(*ctx);
  bool closing = false;
  Clock::time_point close_deadline{};
  bool ready = true;  // the first turn runs at once
  int follow_ups = 0;
  for (;;) {
    const auto now = Clock::now();
    const std::size_t ran = queue_->drain();
    tick(now);
    if (stop_requested_ && !closing) {
      queue_->drain();  // what was accepted before stop goes out
      begin_close();
      closing = true;
      close_deadline = now + kCloseTimeout;
    }
    if (closing && (all_closed() || now >= close_deadline)) break;
    // Writes what the tasks and tick() queued, fires libstrophe's timers, reads.
    ctx->run_once(std::chrono::milliseconds(0));
    turns_.fetch_add(1, std::memory_order_relaxed);

    if (ready || ran > 0) follow_ups = ctx->any_secured() ? kFollowUpTurnsTls : kFollowUpTurns;
    auto wait = std::chrono::milliseconds(0);
    if (follow_ups > 0) {
      --follow_ups;
    } else {
      Clock::time_point until = std::min(next_deadline(), Clock::now() + kMaxWait);
      if (closing) until = std::min(until, close_deadline);
      const auto left = until - Clock::now();
      // Rounded up: waking a little early would only mean a turn with nothing due.
      wait = std::max(std::chrono::milliseconds(0),
                      std::chrono::ceil<std::chrono::milliseconds>(left));
    }
    ready = ctx->wait(queue_->wake_fd(), wait);
  }
  queue_->close();
  teardown();
  std::function<void()> done;
  {
    std::lock_guard lock(done_mu_);
    done = std::move(done_);
  }
  spdlog::info("[{}] stopped", name_);
  ctx.reset();       // after every connection is gone
  if (done) done();  // last: it may destroy us
}

}  // namespace passerelle::xmpp
