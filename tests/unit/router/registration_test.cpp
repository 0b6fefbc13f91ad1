// Registration from the person's own XMPP client (XEP-0077): a phone on the SMS gateway,
// an AIM, ICQ or MSN account on theirs; what is stored survives a restart, and what the
// configuration links cannot be taken over from a client.

#include "router_fixture.hpp"

namespace passerelle {
namespace {

using router_test::addr;
using router_test::RouterTest;

class RegistrationTest : public RouterTest {
 protected:
  void SetUp() override {
    RouterTest::SetUp();
    config::PersonEntry alice;
    alice.name = "alice";
    alice.addresses = {"xmpp:alice@example.org"};
    cfg_.people.push_back(alice);
    cfg_.oscar.enabled = true;
    config::LegacyAccount a;
    a.network = "aim";
    a.login = "alicesn";
    a.password = "pw";
    a.person = "alice";
    cfg_.oscar.accounts = {a};
    cfg_.msn.enabled = true;
  }

  Status registration(const std::string& user, Network network, const std::string& login,
                      const std::string& password, bool remove = false,
                      const std::string& phone = {}) {
    auto result = std::make_shared<std::optional<Status>>();
    Registration r;
    r.connector = "xmpp";
    r.user = addr(user);
    r.network = network;
    r.login = login;
    r.password = password;
    r.phone = phone;
    r.remove = remove;
    r.ack = [result](Status st) { *result = st; };
    router_->handle(std::move(r));
    settle();
    // A linked account is answered once it signs on: the connector says it did.
    if (!result->has_value() && sign_on_ != LinkState::disabled) {
      auto* c = network == Network::msn ? msn_ : oscar_;
      if (!c->linked.empty())
        router_->handle(AccountStateEvent{c->name(), c->linked.back().account.str(), sign_on_,
                                          sign_on_reason_});
      settle();
    }
    EXPECT_TRUE(result->has_value()) << "no ack";
    return result->value_or(Error::missing("no ack"));
  }
  Status link(const std::string& user, Network network, const std::string& login,
              const std::string& password = "secret") {
    return registration(user, network, login, password);
  }
  LinkState sign_on_ = LinkState::up;  // what the account does once linked
  std::string sign_on_reason_;
  Status unlink(const std::string& user, Network network) {
    return registration(user, network, {}, {}, true);
  }
};

TEST_F(RegistrationTest, AnAccountLinkedFromTheClientSignsOnAndCarriesTheirMessages) {
  start();
  // Dave is allowed (example.org) but not in the configuration: registering makes him
  // known, with his AIM account.
  ASSERT_TRUE(link("xmpp:dave@example.org", Network::aim, " Dave SN ", "s3cret").ok());
  ASSERT_EQ(oscar_->linked.size(), 1u);
  EXPECT_EQ(oscar_->linked[0].account.str(), "aim:davesn");
  EXPECT_EQ(oscar_->linked[0].password, "s3cret");
  ASSERT_TRUE(message("xmpp", "xmpp:dave@example.org", "aim:bobsn", "hi bob").ok());
  ASSERT_EQ(oscar_->messages().size(), 1u);
  EXPECT_EQ(oscar_->messages()[0].from.str(), "aim:davesn");
  // What arrives on the account reaches him from the puppet.
  InboundPresence online;
  online.connector = "xmpp";
  online.who = addr("xmpp:dave@example.org");
  online.observer = Address{Network::xmpp, "aim.example.org"};
  router_->handle(online);
  settle();
  ASSERT_TRUE(message("oscar", "aim:bobsn", "aim:davesn", "hello dave").ok());
  ASSERT_EQ(xmpp_->messages().size(), 1u);
  EXPECT_EQ(xmpp_->messages()[0].to.str(), "xmpp:dave@example.org");

  // After a restart it signs on again, from the store.
  restart();
  ASSERT_EQ(oscar_->linked.size(), 1u);
  EXPECT_EQ(oscar_->linked[0].account.str(), "aim:davesn");
  EXPECT_EQ(oscar_->linked[0].password, "s3cret");
  ASSERT_TRUE(message("xmpp", "xmpp:dave@example.org", "aim:bobsn", "again").ok());
  EXPECT_EQ(oscar_->messages().back().from.str(), "aim:davesn");
  // A configured person links an MSN account next to the configured AIM one.
  ASSERT_TRUE(link("xmpp:alice@example.org", Network::msn, "Alice@Hotmail.com").ok());
  ASSERT_EQ(msn_->linked.size(), 1u);
  EXPECT_EQ(msn_->linked[0].account.str(), "msn:alice@hotmail.com");
  EXPECT_TRUE(oscar_->linked.size() == 1u);  // the configured AIM account is the connector's own
}

TEST_F(RegistrationTest, BadOrForeignAccountsAreRefusedWithAReason) {
  start();
  auto st = link("xmpp:dave@example.org", Network::aim, "davesn", "");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::invalid_input);
  EXPECT_NE(st.error().message.find("password"), std::string::npos) << st.error().message;

  st = link("xmpp:dave@example.org", Network::aim, "123456");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("ICQ gateway"), std::string::npos) << st.error().message;

  st = link("xmpp:dave@example.org", Network::icq, "12ab");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::invalid_input);

  st = link("xmpp:dave@example.org", Network::msn, "not-an-address");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::invalid_input);

  // Alice's configured account cannot be taken over, nor replaced from her client.
  st = link("xmpp:dave@example.org", Network::aim, "AliceSN");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::not_allowed);
  EXPECT_NE(st.error().message.find("configuration"), std::string::npos) << st.error().message;
  st = link("xmpp:alice@example.org", Network::aim, "othersn");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::not_allowed);
  st = unlink("xmpp:alice@example.org", Network::aim);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::not_allowed);

  // An account someone else registered stays theirs.
  ASSERT_TRUE(link("xmpp:erin@example.org", Network::icq, "424242").ok());
  st = link("xmpp:dave@example.org", Network::icq, "424242");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("someone else"), std::string::npos) << st.error().message;

  // Not allowed to use the bridge at all.
  st = link("xmpp:mallory@evil.example", Network::aim, "mallorysn");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::not_allowed);
  // Nothing to register on the XMPP side itself.
  st = link("xmpp:dave@example.org", Network::xmpp, "dave@elsewhere.example");
  ASSERT_FALSE(st.ok());

  ASSERT_EQ(oscar_->linked.size(), 1u);  // erin's only
  EXPECT_EQ(oscar_->linked[0].account.str(), "icq:424242");
}

TEST_F(RegistrationTest, ANewAccountReplacesTheOldOneAndUnlinkingForgetsIt) {
  start();
  ASSERT_TRUE(link("xmpp:dave@example.org", Network::aim, "oldsn").ok());
  ASSERT_TRUE(link("xmpp:dave@example.org", Network::aim, "newsn").ok());
  ASSERT_EQ(oscar_->unlinked.size(), 1u);
  EXPECT_EQ(oscar_->unlinked[0].str(), "aim:oldsn");
  ASSERT_TRUE(message("xmpp", "xmpp:dave@example.org", "aim:bobsn", "hi").ok());
  EXPECT_EQ(oscar_->messages().back().from.str(), "aim:newsn");
  // The same account again: a new password, the same account.
  ASSERT_TRUE(link("xmpp:dave@example.org", Network::aim, "newsn", "changed").ok());
  EXPECT_EQ(oscar_->linked.back().password, "changed");
  EXPECT_EQ(oscar_->unlinked.size(), 1u);

  restart();
  ASSERT_EQ(oscar_->linked.size(), 1u);
  EXPECT_EQ(oscar_->linked[0].account.str(), "aim:newsn");
  EXPECT_EQ(oscar_->linked[0].password, "changed");

  // Unlinking: signed off, the gateway goes offline in his client, nothing routes.
  ASSERT_TRUE(unlink("xmpp:dave@example.org", Network::aim).ok());
  ASSERT_EQ(oscar_->unlinked.size(), 1u);
  EXPECT_EQ(oscar_->unlinked[0].str(), "aim:newsn");
  bool gateway_offline = false;
  for (const auto& p : xmpp_->of<OutboundPresence>())
    if (p.from == Address{Network::aim, ""} && p.to.str() == "xmpp:dave@example.org" &&
        p.presence.state == PresenceState::offline &&
        p.presence.status.find("unlinked") != std::string::npos)
      gateway_offline = true;
  EXPECT_TRUE(gateway_offline);
  auto st = message("xmpp", "xmpp:dave@example.org", "aim:bobsn", "hi");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::not_found);
  st = unlink("xmpp:dave@example.org", Network::aim);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::not_found);
  restart();
  EXPECT_TRUE(oscar_->linked.empty());
}

TEST_F(RegistrationTest, AnAccountTheNetworkRefusesIsNotKept) {
  start();
  sign_on_ = LinkState::failed;
  sign_on_reason_ = "wrong password";
  auto st = link("xmpp:dave@example.org", Network::aim, "davesn", "typo");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::not_allowed);
  EXPECT_EQ(st.error().message, "davesn could not sign on to AIM: wrong password");
  ASSERT_EQ(oscar_->unlinked.size(), 1u);
  EXPECT_EQ(oscar_->unlinked[0].str(), "aim:davesn");
  EXPECT_FALSE(message("xmpp", "xmpp:dave@example.org", "aim:bobsn", "hi").ok());
  // Still connecting (a server that is down): no answer yet; a later "up" answers it.
  sign_on_ = LinkState::backing_off;
  auto result = std::make_shared<std::optional<Status>>();
  Registration r;
  r.connector = "xmpp";
  r.user = addr("xmpp:dave@example.org");
  r.network = Network::aim;
  r.login = "davesn";
  r.password = "right";
  r.ack = [result](Status s) { *result = s; };
  router_->handle(std::move(r));
  settle();
  router_->handle(AccountStateEvent{"oscar", "aim:davesn", LinkState::backing_off, "no route"});
  settle();
  EXPECT_FALSE(result->has_value());
  router_->handle(AccountStateEvent{"oscar", "aim:davesn", LinkState::up, ""});
  settle();
  ASSERT_TRUE(result->has_value());
  EXPECT_TRUE(result->value().ok());
  restart();
  ASSERT_EQ(oscar_->linked.size(), 1u);
  EXPECT_EQ(oscar_->linked[0].password, "right");
}

TEST_F(RegistrationTest, RemovingThePhoneKeepsTheLinkedAccounts) {
  start();
  ASSERT_TRUE(link("xmpp:dave@example.org", Network::msn, "dave@hotmail.com").ok());
  ASSERT_TRUE(
      registration("xmpp:dave@example.org", Network::sms, {}, {}, false, "+33644444444").ok());
  const Person* p = router_->directory().person_of(addr("xmpp:dave@example.org"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->phone, "+33644444444");
  // The phone registration keeps the account his.
  EXPECT_NE(router_->directory().person_of(addr("msn:dave@hotmail.com")), nullptr);
  ASSERT_TRUE(registration("xmpp:dave@example.org", Network::sms, {}, {}, true).ok());
  p = router_->directory().person_of(addr("xmpp:dave@example.org"));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->phone.empty());
  ASSERT_TRUE(message("xmpp", "xmpp:dave@example.org", "msn:bob@hotmail.com", "hi").ok());
  EXPECT_EQ(msn_->messages().back().from.str(), "msn:dave@hotmail.com");
  restart();
  ASSERT_EQ(msn_->linked.size(), 1u);
  EXPECT_EQ(msn_->linked[0].account.str(), "msn:dave@hotmail.com");
}

}  // namespace
}  // namespace passerelle
