#include "bus/bus.hpp"

#include <boost/asio/post.hpp>

namespace passerelle {

Bus::Bus(boost::asio::any_io_executor strand, Handler handler, std::size_t max_pending)
    : strand_(std::move(strand)), handler_(std::move(handler)), max_pending_(max_pending) {}

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
  boost::asio::post(strand_, [this, ev = std::move(event)]() mutable {
    pending_.fetch_sub(1, std::memory_order_relaxed);
    handler_(std::move(ev));
  });
}

}  // namespace passerelle
