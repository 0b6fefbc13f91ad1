#pragma once
// The router and outbox together, on a real store, with fake connectors that record
// what they are asked to send. Shared by the router's test files.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <filesystem>
#include <map>

#include "core/ulid.hpp"
#include "router/router.hpp"

namespace passerelle::router_test {

namespace asio = boost::asio;

class FakeConnector : public Connector {
 public:
  FakeConnector(std::string name, Network n, bool receipts)
      : name_(std::move(name)), network_(n), receipts_(receipts) {}
  const std::string& name() const override { return name_; }
  Network network() const override { return network_; }
  Capabilities capabilities() const override {
    Capabilities c;
    c.receipts = receipts_;
    c.ids_are_delivery_ids = ids_are_delivery_ids;
    return c;
  }
  void start() override {}
  void stop(std::function<void()> done) override { done(); }
  void send(OutboundEvent ev) override { sent.push_back(std::move(ev)); }
  ConnectorStatus status() const override { return {LinkState::up, "", 0, 0}; }
  Status link_account(AccountLink l) override {
    linked.push_back(std::move(l));
    return {};
  }
  void unlink_account(const Address& a) override { unlinked.push_back(a); }
  void resume_watch(OutboundWatch w) override { watches.push_back(std::move(w)); }

  std::vector<OutboundMessage> messages() const {
    std::vector<OutboundMessage> out;
    for (const auto& e : sent)
      if (auto* m = std::get_if<OutboundMessage>(&e)) out.push_back(*m);
    return out;
  }
  template <typename T>
  std::vector<T> of() const {
    std::vector<T> out;
    for (const auto& e : sent)
      if (auto* m = std::get_if<T>(&e)) out.push_back(*m);
    return out;
  }
  std::vector<OutboundEvent> sent;
  std::vector<AccountLink> linked;
  std::vector<Address> unlinked;
  std::vector<OutboundWatch> watches;
  bool ids_are_delivery_ids = false;

 private:
  std::string name_;
  Network network_;
  bool receipts_;
};

inline Address addr(const std::string& s) {
  return parse_address(s).value();
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("passerelle-router-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    cfg_.bridge.domain = "example.org";
    cfg_.access.allow_domains = {"example.org"};
    cfg_.sms.sender_numbers = {"+33700000001"};
    cfg_.sms.default_monthly_cap = 1000;
    config::Smsc smsc;
    smsc.name = "primary";
    smsc.prefixes = {"+"};
    smsc.tariff = {{"+", 5}};
    cfg_.sms.smsc = {smsc};
    cfg_.delivery.retry_initial_ms = 1;
    cfg_.delivery.retry_max_ms = 2;
    cfg_.delivery.max_attempts = 3;
    config::XmppAccount bob;
    bob.jid = "bob@example.org";
    bob.person = "bob";
    cfg_.xmpp.accounts = {bob};
    config::PersonEntry p;
    p.name = "bob";
    p.phone = "+33622222222";
    p.monthly_cap = 0;
    p.addresses = {"xmpp:bob@example.org"};
    cfg_.people = {p};
  }
  // Whether the component connector says it reports receipts, as the real one does.
  bool xmpp_receipts_ = false;
  bool client_receipts_ = false;  // the same for the linked accounts' connector

  void TearDown() override {
    router_.reset();
    if (store_) store_->close();
    std::filesystem::remove_all(dir_);
  }

  void start() {
    auto s = store::Store::open((dir_ / "db").string(), {});
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    registry_ = std::make_unique<ConnectorRegistry>();
    auto sms = std::make_unique<FakeConnector>("smpp:primary", Network::sms, true);
    auto xmpp = std::make_unique<FakeConnector>("xmpp", Network::xmpp, xmpp_receipts_);
    auto client = std::make_unique<FakeConnector>("xmpp-client", Network::xmpp, client_receipts_);
    auto oscar = std::make_unique<FakeConnector>("oscar", Network::aim, false);
    auto msn = std::make_unique<FakeConnector>("msn", Network::msn, true);
    sms_ = sms.get();
    xmpp_ = xmpp.get();
    client_ = client.get();
    oscar_ = oscar.get();
    msn_ = msn.get();
    registry_->add(std::move(sms));
    registry_->add(std::move(xmpp));
    registry_->add(std::move(client));
    registry_->add(std::move(oscar));
    registry_->add(std::move(msn));
    rcs_.clear();
    for (const auto& p : cfg_.rcs.platforms) {
      auto rcs = std::make_unique<FakeConnector>("rcs:" + p.name, Network::rcs, true);
      rcs_[p.name] = rcs.get();
      registry_->add(std::move(rcs));
    }
    router_ = std::make_unique<Router>(strand_, cfg_, *store_, *registry_, metrics_,
                                       [](std::string_view text) {
                                         const auto n = static_cast<int>((text.size() + 152) / 153);
                                         return n > 255 ? -1 : n;
                                       });
    ASSERT_TRUE(router_->load().ok());
    settle();
  }

  void restart() {
    router_.reset();
    store_->close();
    store_.reset();
    start();
  }

  // Runs the io_context until nothing is left: a no-op store job is a barrier (jobs
  // and their callbacks run in order), then whatever the callbacks posted runs.
  void settle() {
    for (int quiet = 0; quiet < 2;) {
      if (store_) (void)store_->run_sync([](store::Db&) -> Status { return {}; });
      io_.restart();
      quiet = io_.poll() == 0 ? quiet + 1 : 0;
    }
  }

  Status message(const std::string& connector, const std::string& from, const std::string& to,
                 const std::string& body, const std::string& origin = new_ulid(),
                 bool receipt = false, std::vector<Attachment> attachments = {}) {
    auto result = std::make_shared<std::optional<Status>>();
    InboundMessage m;
    m.connector = connector;
    m.from = from.rfind("sms:", 0) == 0 ? addr(from) : addr(from);
    m.to = to.rfind("sms:", 0) == 0 ? Address{Network::sms, to.substr(4)} : addr(to);
    m.body = body;
    m.origin_id = origin;
    m.wants_receipt = receipt;
    m.attachments = std::move(attachments);
    m.ack = [result](Status st) { *result = st; };
    router_->handle(std::move(m));
    settle();
    EXPECT_TRUE(result->has_value()) << "no ack";
    return result->value_or(Error::missing("no ack"));
  }

  void report(DeliveryReport r) {
    router_->handle(std::move(r));
    settle();
  }

  void ack_last_sms(std::vector<std::string> ids) {
    auto m = sms_->messages().back();
    DeliveryReport r;
    r.connector = "smpp:primary";
    r.delivery_id = m.delivery_id;
    r.state = DeliveryState::acked;
    r.network_ids = ids;
    r.segments = static_cast<int>(ids.size());
    report(r);
  }

  void presence(const std::string& account, bool online) {
    InboundPresence p;
    p.connector = "xmpp-client";
    p.who = p.observer = addr(account);
    p.presence.state = online ? PresenceState::available : PresenceState::offline;
    router_->handle(p);
    settle();
  }

  // alice's XMPP client comes online, as the component sees it (she has a phone's puppet
  // in her roster).
  void alice_comes_online() {
    InboundPresence p;
    p.connector = "xmpp";
    p.who = addr("xmpp:alice@example.org");
    p.observer = Address{Network::sms, "+33611111111"};
    p.presence.state = PresenceState::available;
    router_->handle(p);
    settle();
  }

  // alice (XMPP, receipts on) writes to a phone, whose SMS answer is sent to her: returns
  // that answer's delivery id. retry_ms is the whole retry timer (60000: only presence).
  std::string phone_answers_alice(int retry_ms) {
    xmpp_receipts_ = true;
    cfg_.delivery.retry_initial_ms = cfg_.delivery.retry_max_ms = retry_ms;
    start();
    EXPECT_TRUE(message("xmpp", "xmpp:alice@example.org", "sms:+33611111111", "hello").ok());
    ack_last_sms({"m1"});
    EXPECT_TRUE(message("smpp:primary", "sms:+33611111111", "sms:+33700000001", "hi alice").ok());
    EXPECT_EQ(xmpp_->messages().size(), 1u);
    return xmpp_->messages().empty() ? std::string() : xmpp_->messages().back().delivery_id;
  }

  // The copy of delivery `id` sent last is taken by the server as `network_id`, which
  // then bounces it: the user is offline (service-unavailable).
  void taken_then_bounced(const std::string& connector, const std::string& id,
                          const std::string& network_id) {
    report({connector, id, "", DeliveryState::acked, {network_id}, "", 0, false, 1});
    report({connector,
            "",
            network_id,
            DeliveryState::failed,
            {},
            "service-unavailable",
            503,
            true,
            0});
  }

  // The stored reason of a delivery ("" when there is none).
  std::string delivery_reason(const std::string& id) {
    std::string reason;
    EXPECT_TRUE(store_
                    ->run_sync([&](store::Db& db) -> Status {
                      auto st = db.prepare("SELECT reason FROM deliveries WHERE id = ?1");
                      if (!st.ok()) return st.error();
                      (*st)->bind(1, id);
                      auto row = (*st)->step();
                      if (!row.ok()) return row.error();
                      if (*row) reason = (*st)->col_text(0);
                      return {};
                    })
                    .ok());
    return reason;
  }

  std::int64_t charged(const std::string& payer) {
    std::int64_t total = 0;
    EXPECT_TRUE(store_
                    ->run_sync([&](store::Db& db) {
                      return store::load_spend(db, month_of(now_ms()),
                                               [&](const std::string& p, std::int64_t t) {
                                                 if (p == payer) total = t;
                                               });
                    })
                    .ok());
    return total;
  }

  std::filesystem::path dir_;
  config::Config cfg_;
  asio::io_context io_;
  asio::strand<asio::io_context::executor_type> strand_{asio::make_strand(io_)};
  Metrics metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ConnectorRegistry> registry_;
  std::unique_ptr<Router> router_;
  FakeConnector* sms_ = nullptr;
  FakeConnector* xmpp_ = nullptr;
  FakeConnector* client_ = nullptr;
  FakeConnector* oscar_ = nullptr;
  FakeConnector* msn_ = nullptr;
  std::map<std::string, FakeConnector*> rcs_;  // by platform name
};

}  // namespace passerelle::router_test
