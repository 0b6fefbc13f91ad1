// Router + durable store alone (bench/RESULTS.md, "core"): N XMPP→SMS messages through
// the router, the SQLite outbox (group commit) and a connector that acknowledges at once
// and then reports delivery. Prints messages/s and p50/p99 of the time from handing a
// message to the router to its acknowledgement (stored, routed, handed out), and the
// time until it is delivered (every state change durable).
//
//   bench_router [messages=100000] [in_flight=2000] [synchronous=full|normal] [numbers=5000]
//
// `numbers`: how many different phones the messages go to, in turn (each new one is parsed
// and gets a conversation and an SMS thread). Also printed: the process's resident memory
// once every message is delivered.
//
// The reference, measured in the same run: the same rows written straight to SQLite by
// one thread with prepared statements in transactions of 512 messages (per message: the
// message and delivery inserts and the two delivery updates the outbox makes), with
// nothing else going on. It is the ceiling of this write pattern on this disk.

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <semaphore>
#include <thread>

#include "bus/bus.hpp"
#include "router/router.hpp"

namespace asio = boost::asio;
using namespace passerelle;
using Clock = std::chrono::steady_clock;

namespace {

class InstantSmsc : public Connector {
 public:
  explicit InstantSmsc(EventSink& sink) : sink_(sink) {}
  const std::string& name() const override { return name_; }
  Network network() const override { return Network::sms; }
  Capabilities capabilities() const override {
    Capabilities c;
    c.receipts = true;
    return c;
  }
  void start() override {}
  void stop(std::function<void()> done) override { done(); }
  void send(OutboundEvent ev) override {
    auto* m = std::get_if<OutboundMessage>(&ev);
    if (!m) return;
    const std::string nid = std::to_string(next_id_++);
    DeliveryReport acked;
    acked.connector = name_;
    acked.delivery_id = m->delivery_id;
    acked.state = DeliveryState::acked;
    acked.network_ids = {nid};
    acked.segments = 1;
    sink_.publish(std::move(acked));
    DeliveryReport dlr;
    dlr.connector = name_;
    dlr.network_id = nid;
    dlr.state = DeliveryState::delivered;
    dlr.ack = [](Status) {};  // as the SMPP connector: answered once stored
    sink_.publish(std::move(dlr));
  }
  ConnectorStatus status() const override { return {LinkState::up, "", 0, 0}; }

 private:
  EventSink& sink_;
  std::string name_ = "smpp:primary";
  std::atomic<std::uint64_t> next_id_{1};
};

class NullXmpp : public Connector {
 public:
  const std::string& name() const override { return name_; }
  Network network() const override { return Network::xmpp; }
  Capabilities capabilities() const override { return {}; }
  void start() override {}
  void stop(std::function<void()> done) override { done(); }
  void send(OutboundEvent ev) override {
    if (std::holds_alternative<OutboundReceipt>(ev)) receipts.fetch_add(1);
  }
  ConnectorStatus status() const override { return {LinkState::up, "", 0, 0}; }
  std::atomic<std::uint64_t> receipts{0};

 private:
  std::string name_ = "xmpp";
};

// Writes `total` messages' rows the way the router and outbox do, minus everything else.
double raw_sqlite_msgs_per_s(const std::filesystem::path& file, int total, bool full) {
  auto s = store::Store::open(file.string(), {512, 0, full});
  if (!s.ok()) return 0;
  const auto t0 = Clock::now();
  const int batch = 512;
  for (int first = 0; first < total; first += batch) {
    (*s)->submit(
        [first, total, batch](store::Db& db) -> Status {
          for (int i = first; i < std::min(total, first + batch); ++i) {
            const std::string id = std::to_string(i);
            store::MessageRow m{"m" + id,
                                "c",
                                "xmpp:a@b",
                                "sms:+33611111111",
                                "benchmark message number " + id,
                                "x",
                                "o" + id,
                                i};
            if (auto r = store::insert_message(db, m); !r.ok()) return r.error();
            store::DeliveryRow d;
            d.id = "d" + id;
            d.message_id = m.id;
            d.connector = "smpp:primary";
            d.sender = "sms:+33700000001";
            d.recipient = m.recipient;
            d.body = m.body;
            d.state = DeliveryState::sent;
            if (auto st = store::insert_delivery(db, d); !st.ok()) return st;
            for (auto state : {DeliveryState::acked, DeliveryState::delivered}) {
              d.state = state;
              if (auto st = store::update_delivery(db, d); !st.ok()) return st;
            }
          }
          return {};
        },
        nullptr);
  }
  (*s)->close();
  return total / std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU seconds (user + system) this process has used so far, all threads.
double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// CPU time (user + system) of each thread of this process so far, with its name: which
// thread is the serial part (the store's writer, the core strand) and how busy it is.
struct ThreadCpu {
  std::string name;
  long tid = 0;
  double seconds = 0;
};
std::vector<ThreadCpu> thread_cpu() {
  std::vector<ThreadCpu> out;
  const double tick = double(::sysconf(_SC_CLK_TCK));
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    std::FILE* f = std::fopen((e.path() / "stat").c_str(), "r");
    if (!f) continue;
    char buf[1024];
    const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = 0;
    const std::string line(buf);
    const auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    ThreadCpu t;
    t.tid = std::atol(line.c_str());
    t.name = line.substr(open + 1, close - open - 1);
    // After the name: state (field 3) ... utime (14), stime (15).
    unsigned long utime = 0, stime = 0;
    if (std::sscanf(line.c_str() + close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                    &utime, &stime) == 2)
      t.seconds = double(utime + stime) / tick;
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(),
            [](const ThreadCpu& a, const ThreadCpu& b) { return a.seconds > b.seconds; });
  return out;
}

// VmRSS of this process, KiB (0 if unknown).
long resident_kib() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  long kib = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  std::fclose(f);
  return kib;
}

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * double(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  const int total = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int window = argc > 2 ? std::atoi(argv[2]) : 2000;
  const std::string sync = argc > 3 ? argv[3] : "full";
  const int numbers = std::max(1, argc > 4 ? std::atoi(argv[4]) : 5000);
  spdlog::set_level(spdlog::level::warn);

  const auto dir =
      std::filesystem::temp_directory_path() / ("passerelle-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  config::Config cfg;
  cfg.sms.sender_numbers = {"+33700000001", "+33700000002", "+33700000003"};
  cfg.sms.default_monthly_cap = 0;
  config::Smsc smsc;
  smsc.name = "primary";
  cfg.sms.smsc = {smsc};
  auto store = store::Store::open((dir / "bench.db").string(), {4096, 0, sync == "full"});
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.error().message.c_str());
    return 1;
  }

  asio::io_context io;
  auto core = asio::make_strand(io);
  Metrics metrics;
  ConnectorRegistry registry;
  std::unique_ptr<Router> router;
  Bus bus(
      core, [&](InboundEvent ev) { router->handle(std::move(ev)); }, 1 << 22);
  registry.add(std::make_unique<InstantSmsc>(bus));
  auto xmpp = std::make_unique<NullXmpp>();
  auto* receipts = xmpp.get();
  registry.add(std::move(xmpp));
  router = std::make_unique<Router>(core, cfg, **store, registry, metrics, [](std::string_view s) {
    return static_cast<int>((s.size() + 152) / 153);
  });
  if (!router->load().ok()) return 1;
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });

  std::vector<double> ack_us(static_cast<size_t>(total));
  std::atomic<int> acked{0};
  std::counting_semaphore<> slots(window);  // the producer blocks instead of spinning
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  for (int i = 0; i < total; ++i) {
    slots.acquire();
    InboundMessage m;
    m.connector = "xmpp";
    m.from = Address{Network::xmpp, "user" + std::to_string(i % 500) + "@example.org"};
    m.to = Address{Network::sms, "+336" + std::to_string(10000000 + i % numbers)};
    m.body = "benchmark message number " + std::to_string(i);
    m.origin_id = "o" + std::to_string(i);
    m.wants_receipt = true;
    const auto sent = Clock::now();
    m.ack = [&, i, sent](Status st) {
      if (!st.ok()) std::fprintf(stderr, "refused: %s\n", st.error().message.c_str());
      ack_us[static_cast<size_t>(i)] =
          std::chrono::duration<double, std::micro>(Clock::now() - sent).count();
      acked.fetch_add(1);
      slots.release();
    };
    bus.publish(std::move(m));
  }
  while (acked.load() < total) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double accept_s = std::chrono::duration<double>(Clock::now() - t0).count();
  while (receipts->receipts.load() < static_cast<std::uint64_t>(total))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double delivered_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const double bridge_cpu_us = (cpu_seconds() - cpu0) * 1e6 / total;
  const auto threads = thread_cpu();
  const auto stats = (*store)->stats();
  const long rss_kib = resident_kib();
  work.reset();
  io.stop();
  runner.join();
  (*store)->close();
  const double cpu1 = cpu_seconds();
  const double raw = raw_sqlite_msgs_per_s(dir / "raw.db", total, sync == "full");
  const double raw_cpu_us = (cpu_seconds() - cpu1) * 1e6 / total;
  std::filesystem::remove_all(dir);

  std::printf("messages=%d in_flight=%d synchronous=%s numbers=%d\n", total, window, sync.c_str(),
              numbers);
  std::printf("accepted (stored+routed): %.0f msg/s, ack latency p50 %.0f us p99 %.0f us\n",
              total / accept_s, pct(ack_us, 0.50), pct(ack_us, 0.99));
  std::printf("delivered (receipt sent, every state durable): %.0f msg/s\n", total / delivered_s);
  std::printf("reference, same rows straight to SQLite: %.0f msg/s; bridge/reference = %.2f\n", raw,
              (total / delivered_s) / raw);
  std::printf("CPU per message (all threads, the producer included): %.1f us; reference %.1f us\n",
              bridge_cpu_us, raw_cpu_us);
  std::printf("busiest threads, CPU us per message (from start-up):");
  for (size_t i = 0; i < threads.size() && i < 4; ++i)
    std::printf(" %s[%ld] %.1f", threads[i].name.c_str(), threads[i].tid,
                threads[i].seconds * 1e6 / total);
  std::printf("\n");
  std::printf("resident memory once all were delivered: %.1f MiB\n", double(rss_kib) / 1024);
  std::printf(
      "store: %llu jobs in %llu commits (%.1f jobs/commit), %llu replayed; WAL checkpoints: %llu "
      "beside the writer, %llu by it\n",
      (unsigned long long)stats.jobs, (unsigned long long)stats.commits,
      double(stats.jobs) / double(std::max<std::uint64_t>(1, stats.commits)),
      (unsigned long long)stats.replays, (unsigned long long)stats.checkpoints,
      (unsigned long long)stats.writer_checkpoints);
  return 0;
}
