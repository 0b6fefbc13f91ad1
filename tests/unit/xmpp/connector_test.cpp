// The connectors' threading and link bookkeeping without a server: nothing listens on
// the port, so the links back off; events arrive on the sink from the libstrophe thread.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "fake_component_server.hpp"
#include "xmpp/client_connector.hpp"
#include "xmpp/component_connector.hpp"
#include "xmpp/factory.hpp"
#include "xmpp/loop_connector.hpp"

namespace passerelle::xmpp {
namespace {
using namespace std::chrono_literals;

class Sink : public EventSink {
 public:
  void publish(InboundEvent ev) override {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(ev));
    cv_.notify_all();
  }
  template <typename T, typename Pred>
  std::optional<T> wait(Pred pred, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    std::optional<T> found;
    cv_.wait_for(lock, timeout, [&] {
      for (auto& e : events_)
        if (auto* p = std::get_if<T>(&e); p && pred(*p)) {
          found = *p;
          return true;
        }
      return false;
    });
    return found;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<InboundEvent> events_;
};

// A loopback port nobody listens on (bound, never listened: connects are refused).
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    port_ = bind_loopback(fd_);
  }
  ~ClosedPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

void stop_and_wait(Connector& c) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  c.stop([&] {
    std::lock_guard lock(mu);
    done = true;
    cv.notify_all();
  });
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return done; }));
}

TEST(ComponentConnector, BacksOffWhenNothingListensAndStopsCleanly) {
  ClosedPort port;
  config::Config cfg;
  cfg.xmpp.component_port = port.port();
  cfg.xmpp.networks = {"sms"};
  cfg.xmpp.reconnect_initial_ms = 50;
  cfg.xmpp.reconnect_max_ms = 200;
  Sink sink;
  auto cs = make_xmpp_connectors(cfg, sink);
  ASSERT_EQ(cs.size(), 1u);
  Connector& c = *cs[0];
  EXPECT_EQ(c.name(), "xmpp");
  EXPECT_EQ(c.network(), Network::xmpp);
  EXPECT_TRUE(c.capabilities().typing);
  c.start();
  auto ev = sink.wait<AccountStateEvent>(
      [](const AccountStateEvent& e) { return e.state == LinkState::backing_off; });
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->account, "sms.example.org");
  EXPECT_NE(ev->reason.find("refused"), std::string::npos) << ev->reason;
  EXPECT_EQ(c.status().state, LinkState::backing_off);
  EXPECT_NE(c.status().detail.find("sms.example.org"), std::string::npos);

  // Not connected: the outbox hears "failed, retryable".
  OutboundMessage m;
  m.delivery_id = "d1";
  m.from = {Network::sms, "+33611111111"};
  m.to = {Network::xmpp, "alice@example.org"};
  m.body = "x";
  c.send(m);
  auto r = sink.wait<DeliveryReport>([](const DeliveryReport& d) { return d.delivery_id == "d1"; });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, DeliveryState::failed);
  EXPECT_TRUE(r->retryable);
  // A network without a component: failed for good.
  m.delivery_id = "d2";
  m.from = {Network::aim, "bob"};
  c.send(m);
  r = sink.wait<DeliveryReport>([](const DeliveryReport& d) { return d.delivery_id == "d2"; });
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->retryable);

  stop_and_wait(c);
  m.delivery_id = "d3";
  c.send(m);  // after stop: refused at once
  r = sink.wait<DeliveryReport>([](const DeliveryReport& d) { return d.delivery_id == "d3"; });
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->retryable);
}

TEST(ClientConnector, OneInstanceForAllAccounts) {
  ClosedPort port;
  config::Config cfg;
  cfg.xmpp.networks.clear();
  cfg.xmpp.reconnect_initial_ms = 50;
  for (const char* jid : {"bob@example.org", "carol@example.org"}) {
    config::XmppAccount a;
    a.jid = jid;
    a.password = "secret-pw";
    a.host = "127.0.0.1";
    a.port = port.port();
    a.tls = "disabled";
    cfg.xmpp.accounts.push_back(a);
  }
  Sink sink;
  auto cs = make_xmpp_connectors(cfg, sink);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0]->name(), "xmpp-client");
  cs[0]->start();
  for (const char* jid : {"bob@example.org", "carol@example.org"}) {
    auto ev = sink.wait<AccountStateEvent>([&](const AccountStateEvent& e) {
      return e.account == jid && e.state == LinkState::backing_off;
    });
    ASSERT_TRUE(ev) << jid;
    EXPECT_EQ(ev->reason.find("secret-pw"), std::string::npos);
  }
  stop_and_wait(*cs[0]);
}

// The loop sleeps while nothing is due (no turn every few ms), and wakes at once for
// what a socket brings, for work queued by the core, and for stop.
TEST(LoopConnector, SleepsWhenIdleAndWakesForSocketsQueueAndStop) {
  FakeComponentServer server;
  config::Config cfg;
  cfg.xmpp.component_port = server.port();
  cfg.xmpp.networks = {"sms"};
  Sink sink;
  auto cs = make_xmpp_connectors(cfg, sink);
  ASSERT_EQ(cs.size(), 1u);
  auto* loop = dynamic_cast<LoopConnector*>(cs[0].get());
  ASSERT_NE(loop, nullptr);
  loop->start();
  ASSERT_TRUE(server.serve_handshake(5s));
  ASSERT_TRUE(sink.wait<AccountStateEvent>(
      [](const AccountStateEvent& e) { return e.state == LinkState::up; }));

  // Idle, stream up: the next timer is the keep-alive ping, a minute away. A loop that
  // polled (the former 50 ms turns) would count about 20 turns here.
  std::this_thread::sleep_for(300ms);
  const auto before = loop->loop_turns();
  std::this_thread::sleep_for(1s);
  EXPECT_LE(loop->loop_turns() - before, 2u);

  // Input on the socket: answered (the answer is queued inside a handler, and written by
  // the turn that follows).
  const auto t0 = std::chrono::steady_clock::now();
  server.write(
      "<iq type='get' id='srv-ping' from='example.org' to='sms.example.org'>"
      "<ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_TRUE(server.read_until("srv-ping", 1s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);

  // Work queued by the core while the loop sleeps: on the wire promptly.
  std::this_thread::sleep_for(300ms);
  const auto t1 = std::chrono::steady_clock::now();
  OutboundMessage m;
  m.delivery_id = "d-wake";
  m.from = {Network::sms, "+33611111111"};
  m.to = {Network::xmpp, "alice@example.org"};
  m.body = "wake up";
  loop->send(m);
  EXPECT_TRUE(server.read_until("wake up", 1s));
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 1s);
  auto r = sink.wait<DeliveryReport>(
      [](const DeliveryReport& d) { return d.delivery_id == "d-wake"; }, 1s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, DeliveryState::acked);

  // Stop wakes the loop too: the stream is closed at once, not at the next timer.
  std::this_thread::sleep_for(300ms);
  const auto t2 = std::chrono::steady_clock::now();
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  loop->stop([&] {
    std::lock_guard lock(mu);
    done = true;
    cv.notify_all();
  });
  EXPECT_TRUE(server.read_until("</stream:stream>", 1s));
  EXPECT_LT(std::chrono::steady_clock::now() - t2, 1s);
  server.write("</stream:stream>");
  std::unique_lock lock(mu);
  EXPECT_TRUE(cv.wait_for(lock, 5s, [&] { return done; }));
}

// With nothing listening and the next reconnect 30-60 s away, the loop sleeps; a send
// is still refused (not connected) at once rather than at the next timer.
TEST(LoopConnector, SleepsWhileBackingOff) {
  ClosedPort port;
  config::Config cfg;
  cfg.xmpp.component_port = port.port();
  cfg.xmpp.networks = {"sms"};
  cfg.xmpp.reconnect_initial_ms = 60000;
  cfg.xmpp.reconnect_max_ms = 60000;
  Sink sink;
  auto cs = make_xmpp_connectors(cfg, sink);
  auto* loop = dynamic_cast<LoopConnector*>(cs[0].get());
  ASSERT_NE(loop, nullptr);
  loop->start();
  ASSERT_TRUE(sink.wait<AccountStateEvent>(
      [](const AccountStateEvent& e) { return e.state == LinkState::backing_off; }));
  std::this_thread::sleep_for(300ms);
  const auto before = loop->loop_turns();
  std::this_thread::sleep_for(1s);
  EXPECT_LE(loop->loop_turns() - before, 2u);

  const auto t0 = std::chrono::steady_clock::now();
  OutboundMessage m;
  m.delivery_id = "d-off";
  m.from = {Network::sms, "+33611111111"};
  m.to = {Network::xmpp, "alice@example.org"};
  m.body = "x";
  loop->send(m);
  auto r = sink.wait<DeliveryReport>(
      [](const DeliveryReport& d) { return d.delivery_id == "d-off"; }, 1s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, DeliveryState::failed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  const auto t1 = std::chrono::steady_clock::now();
  stop_and_wait(*loop);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 1s);
}

TEST(Factory, NothingWhenDisabled) {
  config::Config cfg;
  cfg.xmpp.enabled = false;
  Sink sink;
  EXPECT_TRUE(make_xmpp_connectors(cfg, sink).empty());
}

TEST(ComponentConnector, StopBeforeStartCallsDone) {
  config::Config cfg;
  Sink sink;
  auto cs = make_xmpp_connectors(cfg, sink);
  ASSERT_EQ(cs.size(), 1u);
  bool done = false;
  cs[0]->stop([&] { done = true; });
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace passerelle::xmpp
