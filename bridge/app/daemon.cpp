#include "app/daemon.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <exception>
#include <filesystem>
#include <thread>
#include <vector>

#include "app/connectors.hpp"
#include "bus/bus.hpp"
#include "core/metrics.hpp"
#include "http/admin_server.hpp"
#include "http/file_share.hpp"
#include "router/router.hpp"
#include "store/store.hpp"

namespace passerelle {
namespace {

namespace asio = boost::asio;

constexpr std::int64_t kDrainTimeoutMs = 5000;
// Expired shared files are deleted this often.
constexpr auto kFileSweepInterval = std::chrono::minutes(10);

// Deletes expired shared files every kFileSweepInterval, on `disk` (deleting a large file
// may take a while: never on a network strand).
void sweep_files(asio::steady_timer& timer, asio::thread_pool& disk,
                 const std::shared_ptr<FileShare>& files) {
  timer.expires_after(kFileSweepInterval);
  timer.async_wait([&timer, &disk, files](boost::system::error_code ec) {
    if (ec) return;
    asio::post(disk, [files] {
      if (const auto n = files->sweep(WallClock::now()); n > 0)
        spdlog::info("files: {} expired link(s) removed", n);
    });
    sweep_files(timer, disk, files);
  });
}

AdminResponse readyz(const ConnectorRegistry& connectors, const Router& router,
                     const store::Store& store) {
  boost::json::object doc;
  boost::json::array list;
  bool ready = true;
  for (const auto& c : connectors.all()) {
    const auto st = c->status();
    if (st.state != LinkState::up) ready = false;
    list.push_back(boost::json::object{{"name", c->name()},
                                       {"network", std::string(network_name(c->network()))},
                                       {"state", std::string(link_state_name(st.state))},
                                       {"detail", st.detail},
                                       {"reconnects", st.reconnects},
                                       {"queue", st.queue_depth}});
  }
  doc["ready"] = ready;
  doc["connectors"] = std::move(list);
  doc["outbox"] = boost::json::object{{"open", router.outbox().depth()},
                                      {"in_flight", router.outbox().in_flight()},
                                      {"reports_waiting", router.outbox().reports_waiting()}};
  doc["store"] = boost::json::object{{"queue", store.stats().queue_depth},
                                     {"commits", store.stats().commits},
                                     {"failures", router.outbox().failures()}};
  return AdminResponse{ready ? 200 : 503, "application/json", boost::json::serialize(doc) + "\n"};
}

AdminResponse metrics_page(Metrics& metrics, const ConnectorRegistry& connectors,
                           const Router& router, const store::Store& store, const Bus& bus) {
  metrics.gauge("passerelle_outbox_depth", "Open deliveries in the outbox")
      .set(double(router.outbox().depth()));
  metrics.gauge("passerelle_outbox_in_flight", "Deliveries handed to a connector, not yet answered")
      .set(double(router.outbox().in_flight()));
  metrics
      .gauge("passerelle_reports_waiting",
             "Network reports (SMPP receipts, RCS status events) left unanswered until the send "
             "result they may belong to is stored")
      .set(double(router.outbox().reports_waiting()));
  const auto by_state = router.outbox().count_by_state();
  for (auto s : {DeliveryState::routed, DeliveryState::sent, DeliveryState::acked}) {
    auto it = by_state.find(s);
    metrics
        .gauge("passerelle_deliveries_open", "Open deliveries by state",
               {{"state", std::string(delivery_state_name(s))}})
        .set(it == by_state.end() ? 0.0 : double(it->second));
  }
  const auto ss = store.stats();
  metrics.gauge("passerelle_store_queue", "Writes waiting for the store's writer")
      .set(double(ss.queue_depth));
  metrics.gauge("passerelle_store_commits", "Transactions committed since start")
      .set(double(ss.commits));
  metrics
      .gauge("passerelle_store_failures",
             "Store jobs, row writes and commits that failed since start (see the log)")
      .set(double(router.outbox().failures()));
  metrics.gauge("passerelle_bus_pending", "Events waiting on the bus").set(double(bus.pending()));
  for (const auto& c : connectors.all()) {
    const auto st = c->status();
    metrics
        .gauge("passerelle_connector_up", "1 when the connector's link is up",
               {{"connector", c->name()}})
        .set(st.state == LinkState::up ? 1 : 0);
    metrics
        .gauge("passerelle_connector_reconnects", "Reconnections since start",
               {{"connector", c->name()}})
        .set(double(st.reconnects));
    metrics
        .gauge("passerelle_connector_queue", "Work queued in the connector",
               {{"connector", c->name()}})
        .set(double(st.queue_depth));
    metrics
        .gauge("passerelle_connector_duplicates",
               "Inbound copies the network delivered again after the first was stored, "
               "recognised by the connector and not passed on (SMPP: one per PDU, so a long "
               "SMS counts its parts)",
               {{"connector", c->name()}})
        .set(double(st.duplicates));
  }
  return AdminResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics.render()};
}

}  // namespace

int run_daemon(const config::Config& cfg) {
  std::error_code fs_ec;
  std::filesystem::create_directories(cfg.bridge.data_dir, fs_ec);
  if (fs_ec) {
    spdlog::error("cannot create bridge.data_dir '{}': {}", cfg.bridge.data_dir, fs_ec.message());
    return 1;
  }
  ::chmod(cfg.bridge.data_dir.c_str(), 0700);  // it holds the database and keys
  ::umask(0077);                               // and so do the files created in it

  store::StoreOptions so;
  so.batch_max = cfg.store.batch_max;
  so.batch_delay_ms = cfg.store.batch_delay_ms;
  so.synchronous_full = cfg.store.synchronous == "full";
  so.key_file = cfg.store.key_file;
  auto store = store::Store::open(cfg.store.path, so);
  if (!store.ok()) {
    spdlog::error("{}", store.error().message);
    return 1;
  }
  if ((*store)->created_key())
    spdlog::info("store: new key file {} (back it up with the database)", cfg.store.key_file);
  spdlog::info("store: {} (schema {})", cfg.store.path, (*store)->schema_version());

  std::error_code dir_error;
  std::filesystem::create_directories(cfg.files.dir, dir_error);
  if (dir_error) {
    spdlog::error("files.dir {}: {}; create it or set files.dir to a writable directory",
                  cfg.files.dir, dir_error.message());
    return 1;
  }
  auto files = std::make_shared<FileShare>(cfg.files.dir, cfg.files.public_url,
                                           static_cast<std::size_t>(cfg.files.max_files), nullptr,
                                           static_cast<std::uint64_t>(cfg.files.max_bytes));
  spdlog::info("files: {} shared link(s) ({} of {} bytes) in {}, served as {}/files/...",
               files->size(), files->bytes(), cfg.files.max_bytes, cfg.files.dir,
               cfg.files.public_url);
  if (files->bytes() > static_cast<std::uint64_t>(cfg.files.max_bytes))
    spdlog::warn(
        "files: the shared files take more than files.max_bytes; new files are told "
        "in words until older links expire");

  asio::io_context io(cfg.bridge.io_threads);  // concurrency hint: the threads that run it
  // Keeps run() going until every connector has stopped: a connector on a thread of its
  // own (XMPP) leaves no work on the io_context while it closes its streams.
  auto keep_running = asio::make_work_guard(io);
  auto core = asio::make_strand(io);
  Metrics metrics;
  const std::string files_help =
      "Bytes in files.dir within files.max_bytes: shared files, and "
      "room held for files still arriving";
  metrics.gauge_fn("passerelle_files_bytes", files_help, {{"kind", "shared"}},
                   [files] { return static_cast<double>(files->bytes()); });
  metrics.gauge_fn("passerelle_files_bytes", files_help, {{"kind", "arriving"}},
                   [files] { return static_cast<double>(files->reserved_bytes()); });
  metrics.gauge_fn("passerelle_files_shared", "Files shared as links now (files.max_files)", {},
                   [files] { return static_cast<double>(files->size()); });
  std::unique_ptr<Router> router;
  Bus bus(core, [&router](InboundEvent ev) { router->handle(std::move(ev)); });
  // Blocking file work (fetched files hashed and written, expired links deleted): never on
  // a network strand. Declared before the connectors that post to it.
  asio::thread_pool disk(2);  // two: a fetched file is hashed and written at once
  // Declared after the bus they publish to, so destroyed (threads joined) before it.
  ConnectorRegistry connectors;
  try {
    make_connectors(io, cfg, bus, connectors, &metrics, files, disk.get_executor());
  } catch (const std::exception& e) {  // e.g. an msn.login_ca_file OpenSSL cannot use
    spdlog::error("{}", e.what());
    return 1;
  }
  router = std::make_unique<Router>(core, cfg, **store, connectors, metrics, sms_segment_counter());
  if (auto st = router->load(); !st.ok()) {
    spdlog::error("cannot load state: {}", st.error().message);
    return 1;
  }

  // The configuration already refuses a non-loopback listener without a token and TLS;
  // checked again here, where it matters.
  if (auto hp = split_host_port(cfg.http.listen);
      !hp.ok() || (!is_loopback_host(hp->first) &&
                   (cfg.http.token.empty() || cfg.http.tls_cert_file.empty()))) {
    spdlog::error(
        "http.listen {}: a non-loopback address needs http.token_file and TLS "
        "(http.tls_cert_file, http.tls_key_file)",
        cfg.http.listen);
    return 1;
  }
  AdminServer http(
      io, core,
      AdminHandlers{[&] { return readyz(connectors, *router, **store); },
                    [&] { return metrics_page(metrics, connectors, *router, **store, bus); }},
      cfg.http.token);
  http.set_file_share(files);
  if (auto st = http.start(cfg.http.listen, cfg.http.tls_cert_file, cfg.http.tls_key_file);
      !st.ok()) {
    spdlog::error("{}", st.error().message);
    return 1;
  }
  for (const auto& c : connectors.all()) c->start();
  spdlog::info("passerelle running: {} connector(s), domain {}", connectors.all().size(),
               cfg.bridge.domain);

  asio::steady_timer sweep_timer(io);
  sweep_files(sweep_timer, disk, files);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  bool stopping = false;
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    stopping = true;
    spdlog::info("received {}; draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    http.stop();
    sweep_timer.cancel();
    asio::post(core, [&] {
      router->drain(kDrainTimeoutMs, [&] {
        auto remaining = std::make_shared<std::size_t>(connectors.all().size());
        auto finish = [&io, &keep_running] {
          spdlog::info("connectors stopped");
          keep_running.reset();
          io.stop();
        };
        if (*remaining == 0) return finish();
        for (const auto& c : connectors.all())
          c->stop([&core, remaining, finish] {
            asio::post(core, [remaining, finish] {
              if (--*remaining == 0) finish();
            });
          });
      });
    });
  });

  std::vector<std::thread> workers;
  for (int i = 1; i < cfg.bridge.io_threads; ++i) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& w : workers) w.join();
  disk.join();
  (*store)->close();
  spdlog::info("passerelle stopped{}", stopping ? " cleanly" : "");
  return 0;
}

}  // namespace passerelle
