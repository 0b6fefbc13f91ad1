#include "app/connectors.hpp"

namespace passerelle {

void make_connectors(boost::asio::io_context& io, const config::Config& cfg, EventSink& sink,
                     ConnectorRegistry& registry) {
  (void)io;
  (void)cfg;
  (void)sink;
  (void)registry;
}

SegmentCounter sms_segment_counter() {
  return [](std::string_view utf8) { return static_cast<int>((utf8.size() + 152) / 153); };
}

}  // namespace passerelle
