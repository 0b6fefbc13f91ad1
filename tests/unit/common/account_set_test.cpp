// The linked accounts of an account connector: start and stop together, added, replaced
// and removed at run time, status summed over accounts, logins paced.

#include "common/account_set.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

namespace passerelle {
namespace {

// A session whose stop completes when the test says so (sign-off takes time).
struct FakeSession {
  explicit FakeSession(std::string id, std::string pw = {})
      : self{Network::aim, std::move(id)}, password(std::move(pw)) {}
  void start() { ++starts; }
  void stop(std::function<void()> done) { on_stopped = std::move(done); }
  void finish_stop() { std::exchange(on_stopped, nullptr)(); }
  const Address& address() const { return self; }
  LinkState state() const { return st; }
  const std::string& reason() const { return why; }
  std::uint64_t reconnects() const { return reconnect_count; }
  std::size_t queued() const { return 0; }

  Address self;
  std::string password;
  int starts = 0;
  std::function<void()> on_stopped;
  LinkState st = LinkState::connecting;
  std::string why;
  std::uint64_t reconnect_count = 0;
};

std::shared_ptr<spdlog::logger> quiet() {
  return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

TEST(AccountSet, StartsStopsAndSumsTheAccountsStatus) {
  AccountSet<FakeSession> set("AIM", quiet(), 0);
  EXPECT_EQ(set.status().state, LinkState::disabled);
  auto a = std::make_shared<FakeSession>("a");
  auto b = std::make_shared<FakeSession>("b");
  set.add(a);
  set.add(b);
  EXPECT_EQ(a->starts, 0);  // not before the connector starts
  set.start();
  EXPECT_EQ(a->starts, 1);
  EXPECT_EQ(b->starts, 1);
  a->st = b->st = LinkState::up;
  set.publish_status();
  EXPECT_EQ(set.status().state, LinkState::up);
  b->st = LinkState::failed;
  b->why = "wrong password";
  b->reconnect_count = 2;
  set.publish_status();
  EXPECT_EQ(set.status().state, LinkState::failed);
  EXPECT_EQ(set.status().detail, "aim:b: failed (wrong password)");
  EXPECT_EQ(set.status().reconnects, 2u);

  bool stopped = false;
  set.stop([&] { stopped = true; });
  EXPECT_TRUE(set.stopping());
  EXPECT_FALSE(set.add(std::make_shared<FakeSession>("c")));  // refused while stopping
  a->finish_stop();
  EXPECT_FALSE(stopped);  // until every account is off
  b->finish_stop();
  EXPECT_TRUE(stopped);
}

TEST(AccountSet, AccountsComeAndGoAtRunTime) {
  AccountSet<FakeSession> set("AIM", quiet(), 0);
  set.start();
  auto first = std::make_shared<FakeSession>("a", "old");
  set.add(first);
  EXPECT_EQ(first->starts, 1);  // added while running: signs on at once
  first->reconnect_count = 3;

  // The same account with a new password: the old session signs off first.
  auto second = std::make_shared<FakeSession>("a", "new");
  set.add(second);
  EXPECT_EQ(set.find(Address{Network::aim, "a"})->password, "new");
  EXPECT_EQ(second->starts, 0);
  first->finish_stop();
  EXPECT_EQ(second->starts, 1);
  // Its reconnects still count (a Prometheus counter never goes down).
  set.publish_status();
  EXPECT_EQ(set.status().reconnects, 3u);

  bool removed = false;
  set.remove(Address{Network::aim, "a"}, [&] { removed = true; });
  EXPECT_EQ(set.find(Address{Network::aim, "a"}), nullptr);
  EXPECT_EQ(set.status().state, LinkState::disabled);
  EXPECT_FALSE(removed);
  // The connector stops while that account is still signing off: done waits for it.
  bool stopped = false;
  set.stop([&] { stopped = true; });
  EXPECT_FALSE(stopped);
  second->finish_stop();
  EXPECT_TRUE(removed);
  EXPECT_TRUE(stopped);

  // Removing an unknown account is done at once.
  bool unknown = false;
  set.remove(Address{Network::aim, "zz"}, [&] { unknown = true; });
  EXPECT_TRUE(unknown);
}

TEST(AccountSet, NeverStartedAccountsAreNotAskedToStop) {
  AccountSet<FakeSession> set("MSN", quiet(), 0);
  auto a = std::make_shared<FakeSession>("a");
  set.add(a);
  set.add(std::make_shared<FakeSession>("a", "new"));  // replaced before any start
  EXPECT_FALSE(a->on_stopped);
  bool removed = false, stopped = false;
  set.remove(Address{Network::aim, "a"}, [&] { removed = true; });
  EXPECT_TRUE(removed);
  set.stop([&] { stopped = true; });
  EXPECT_TRUE(stopped);
}

TEST(AccountSet, LoginsArePaced) {
  AccountSet<FakeSession> set("AIM", quiet(), 100);
  const auto t1 = set.login_slot();
  const auto t2 = set.login_slot();
  const auto t3 = set.login_slot();
  EXPECT_EQ(t2 - t1, std::chrono::milliseconds(100));
  EXPECT_EQ(t3 - t2, std::chrono::milliseconds(100));
}

TEST(AccountSet, ARegisteredAccountIsAConfiguredOneWithItsSectionsDefaults) {
  auto a = linked_account(AccountLink{Address{Network::icq, "123456"}, "pw"},
                          {Network::aim, Network::icq}, "AIM or ICQ");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->network, "icq");
  EXPECT_EQ(a->login, "123456");
  EXPECT_EQ(a->password, "pw");
  EXPECT_TRUE(a->host.empty());  // the section's server
  EXPECT_EQ(a->port, 0);
  auto wrong = linked_account(AccountLink{Address{Network::msn, "a@b.c"}, "pw"},
                              {Network::aim, Network::icq}, "AIM or ICQ");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "msn:a@b.c is not an AIM or ICQ account");
  EXPECT_FALSE(
      linked_account(AccountLink{Address{Network::msn, "a@b.c"}, ""}, {Network::msn}, "MSN").ok());
}

}  // namespace
}  // namespace passerelle
