// The connectors' threading and link bookkeeping without a server: nothing listens on
// the port, so the links back off; events arrive on the sink from the libstrophe thread.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "xmpp/client_connector.hpp"
#include "xmpp/component_connector.hpp"
#include "xmpp/factory.hpp"

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
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
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
