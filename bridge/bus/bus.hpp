#pragma once
// The in-process bus (DESIGN.md §1): connectors publish from any thread; events are
// handled one at a time on the core strand. Bounded: past `max_pending` events waiting,
// new messages are refused with a retryable error that their connector passes on (the
// SMSC redelivers, the XMPP user gets a "wait" error); reports and state changes are
// always accepted, since dropping them would lose what the networks told us.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>

#include "connector/connector.hpp"
#include "core/handoff.hpp"

namespace passerelle {

class Bus : public EventSink {
 public:
  using Handler = std::function<void(InboundEvent)>;
  Bus(boost::asio::any_io_executor strand, Handler handler, std::size_t max_pending = 65536);

  void publish(InboundEvent event) override;
  std::size_t pending() const { return pending_.load(std::memory_order_relaxed); }
  std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  Handler handler_;
  std::size_t max_pending_;
  Handoff<InboundEvent> queue_;
  std::atomic<std::size_t> pending_{0};
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace passerelle
