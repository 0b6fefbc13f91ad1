#include "app/connectors.hpp"

#include "core/percent.hpp"
#include "smpp/codec/segmenter.hpp"

#ifdef PASSERELLE_WITH_XMPP
#include "xmpp/factory.hpp"
#endif
#ifdef PASSERELLE_WITH_SMPP
#include "smpp/connector/smpp_connector.hpp"
#endif
#ifdef PASSERELLE_WITH_OSCAR
#include "oscar/connector/oscar_connector.hpp"
#endif
#ifdef PASSERELLE_WITH_MSN
#include "msn/connector/msn_connector.hpp"
#endif
#ifdef PASSERELLE_WITH_RCS
#include "rcs/connector/factory.hpp"
#endif

namespace passerelle {

void make_connectors(boost::asio::io_context& io, const config::Config& cfg, EventSink& sink,
                     ConnectorRegistry& registry, Metrics* metrics,
                     std::shared_ptr<FileShare> files, boost::asio::any_io_executor disk) {
  (void)io;
  (void)metrics;
  (void)files;
  (void)disk;
#ifdef PASSERELLE_WITH_XMPP
  if (cfg.xmpp.enabled)
    for (auto& c : make_xmpp_connectors(cfg, sink)) registry.add(std::move(c));
#endif
#ifdef PASSERELLE_WITH_SMPP
  if (cfg.sms.enabled)
    for (const auto& smsc : cfg.sms.smsc)
      registry.add(std::make_unique<smpp::SmppConnector>(
          io, smsc, cfg.sms, sink,
          std::filesystem::path(cfg.bridge.data_dir) /
              ("sms-parts-" + percent_encode(smsc.name) + ".journal")));
#endif
#ifdef PASSERELLE_WITH_OSCAR
  // One connector ("oscar") for every linked AIM and ICQ account.
  if (cfg.oscar.enabled) registry.add(oscar::make_oscar_connector(io, cfg, sink));
#endif
#ifdef PASSERELLE_WITH_MSN
  // One connector ("msn") for every linked MSN account.
  if (cfg.msn.enabled) registry.add(msn::make_msn_connector(io, cfg, sink));
#endif
#ifdef PASSERELLE_WITH_RCS
  // One connector ("rcs:<platform>") per carrier platform, sharing one webhook listener.
  if (cfg.rcs.enabled)
    for (auto& c : rcs::make_rcs_connectors(io, cfg, sink, metrics, files, disk))
      registry.add(std::move(c));
#endif
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
