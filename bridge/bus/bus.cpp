#include "bus/bus.hpp"

namespace passerelle {

Bus::Bus(boost::asio::any_io_executor strand, Handler handler, std::size_t max_pending)
    : handler_(std::move(handler)),
      max_pending_(max_pending),
      queue_(std::move(strand), [this](InboundEvent& ev) {
        pending_.fetch_sub(1, std::memory_order_relaxed);
        handler_(std::move(ev));
      }) {}

void Bus::publish(InboundEvent event) {
  if (pending_.load(std::memory_order_relaxed) >= max_pending_) {
    auto refuse = [this](AckFn& ack) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      if (ack) ack(Error::transient("the bridge is overloaded; try again shortly"));
    };
    if (auto* m = std::get_if<InboundMessage>(&event)) return refuse(m->ack);
    if (auto* r = std::get_if<Registration>(&event)) return refuse(r->ack);
  }
  pending_.fetch_add(1, std::memory_order_relaxed);
  queue_.push(std::move(event));
}

}  // namespace passerelle
