#include "app/connectors.hpp"

#include "smpp/codec/segmenter.hpp"

namespace passerelle {

void make_connectors(boost::asio::io_context& io, const config::Config& cfg, EventSink& sink,
                     ConnectorRegistry& registry) {
  (void)io;
  (void)cfg;
  (void)sink;
  (void)registry;
}

SegmentCounter sms_segment_counter() {
  return [](std::string_view utf8) {
    auto n = smpp::count_segments(utf8);
    return n.ok() && n->segments <= smpp::kMaxSegments ? static_cast<int>(n->segments) : -1;
  };
}

}  // namespace passerelle
