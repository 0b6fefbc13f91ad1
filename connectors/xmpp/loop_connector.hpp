#pragma once
// The part both XMPP connectors share: a dedicated libstrophe thread (DESIGN.md §5), the
// bounded queue that brings outbound events and acks onto it, link state bookkeeping
// (status(), AccountStateEvent) and delivery reports.
//
// Threads: start/stop/send/status may be called from any thread and never block.
// Everything named "on the loop thread" below runs on the connector's own thread.
//
// The loop is event-driven. libstrophe 0.12 cannot be woken from another thread, so the
// thread sleeps in its own poll() (strophe::Context::wait) on libstrophe's sockets and
// on the task queue's eventfd, and only then lets libstrophe take a turn without
// waiting. It sleeps until the earliest of: a socket needs a turn, the core queued work
// (send, acks, stop), the connector's next timer (next_deadline(): reconnect, ping,
// handshake timeout, settle), libstrophe's own timers while a stream is being set up or
// closed, and kMaxWait. After a turn that had something to do it takes a few more
// turns without sleeping (output queued by handlers, data OpenSSL holds decrypted).
// Idle with every stream up: one wake-up per kMaxWait or per keep-alive, whichever is
// sooner, plus the traffic itself.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "connector/connector.hpp"
#include "link.hpp"
#include "session_env.hpp"
#include "strophe_adapter.hpp"
#include "task_queue.hpp"

namespace passerelle::xmpp {

class LoopConnector : public Connector {
 public:
  static constexpr std::size_t kQueueCapacity = 4096;
  // The longest sleep without any event or timer due: a safety net, not a schedule.
  static constexpr std::chrono::seconds kMaxWait{30};

  LoopConnector(std::string name, EventSink& sink);
  ~LoopConnector() override;  // joins the thread; an unstopped connector is closed abruptly

  const std::string& name() const override { return name_; }
  Network network() const override { return Network::xmpp; }
  Capabilities capabilities() const override;
  void start() override;
  // Stops taking work, sends what is queued, closes the streams (at most ~3 s), then
  // calls `done` on the connector's thread. Do not destroy the connector inside `done`.
  void stop(std::function<void()> done) override;
  void send(OutboundEvent event) override;
  ConnectorStatus status() const override;

  // Turns of libstrophe's loop so far (any thread; for tests and diagnostics).
  std::uint64_t loop_turns() const { return turns_.load(std::memory_order_relaxed); }

 protected:
  // ---- on the loop thread -----------------------------------------------------------
  virtual void setup(strophe::Context& ctx) = 0;  // create links and sessions
  virtual void tick(Clock::time_point now) = 0;
  // When tick() next has something to do (time_point::max() when nothing is scheduled).
  // Read after every turn; the loop sleeps no longer than that.
  virtual Clock::time_point next_deadline() const = 0;
  virtual void handle(const OutboundEvent& event) = 0;
  virtual void begin_close() = 0;  // graceful close of every link
  virtual bool all_closed() const = 0;
  virtual void teardown() = 0;  // destroy links and sessions (before the context goes)

  // A SessionEnv whose `send` writes through `send`.
  SessionEnv make_env(std::function<void(const xml::Element&)> send);
  // Records a link's state for status() and publishes AccountStateEvent{account}.
  void link_state(const std::string& account, LinkState s, const std::string& reason,
                  std::uint64_t reconnects);
  // DeliveryReport for an OutboundMessage: acked with the stanza id, or failed.
  void report(const OutboundEvent& event, const Result<std::string>& sent);
  Backoff make_backoff(int initial_ms, int max_ms);

  EventSink& sink_;

 private:
  void run();
  void publish(InboundEvent ev);

  std::string name_;
  std::shared_ptr<TaskQueue> queue_;
  std::thread thread_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::uint64_t> turns_{0};
  std::mutex done_mu_;
  std::function<void()> done_;

  struct LinkInfo {
    LinkState state = LinkState::connecting;
    std::string reason;
    std::uint64_t reconnects = 0;
  };
  mutable std::mutex status_mu_;
  std::map<std::string, LinkInfo> links_;

  // Loop-thread only.
  std::uint64_t id_seq_ = 0;
  std::string id_prefix_;
};

}  // namespace passerelle::xmpp
