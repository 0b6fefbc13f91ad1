#include "xmpp/client_session.hpp"

#include <gtest/gtest.h>

#include "fake_env.hpp"

namespace passerelle::xmpp {
namespace {
using testing::FakeEnv;
using testing::parse;

class ClientTest : public ::testing::Test {
 protected:
  FakeEnv fake;
  std::unique_ptr<ClientSession> s;
  ClientSession::Clock::time_point t0 = ClientSession::Clock::now();
  void SetUp() override {
    ClientOptions o;
    o.account = *parse_jid("Bob@example.org/passerelle");
    s = std::make_unique<ClientSession>(o, fake.env());
  }
  void feed(const std::string& xml) { s->on_stanza(parse(xml)); }
  std::vector<InboundPresence> presences() const {
    std::vector<InboundPresence> out;
    for (const auto& e : fake.events)
      if (auto* p = std::get_if<InboundPresence>(&e)) out.push_back(*p);
    return out;
  }
};

TEST_F(ClientTest, LoginAloneTakesPriorityZeroOnceSettled) {
  s->on_up(t0);
  ASSERT_EQ(fake.sent.size(), 2u);
  EXPECT_EQ(fake.sent[0], "<presence><priority>-1</priority></presence>");
  EXPECT_EQ(fake.sent[1],
            "<iq type='get' id='id1' to='example.org'><ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_TRUE(presences().empty());
  feed("<iq from='example.org' to='bob@example.org/passerelle' type='result' id='id1'/>");
  EXPECT_TRUE(s->settled());
  EXPECT_EQ(fake.sent.back(), "<presence><priority>0</priority></presence>");
  auto ps = presences();
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].who, (Address{Network::xmpp, "bob@example.org"}));
  EXPECT_EQ(ps[0].observer, ps[0].who);
  EXPECT_EQ(ps[0].presence.state, PresenceState::offline);
}

TEST_F(ClientTest, StepsAsideWhileAnotherResourceIsOnline) {
  s->on_up(t0);
  feed(
      "<presence from='bob@example.org/phone' "
      "to='bob@example.org/passerelle'><priority>0</priority></presence>");
  feed(
      "<presence from='bob@example.org/passerelle' "
      "to='bob@example.org/passerelle'><priority>-1</priority></presence>");
  feed("<iq from='example.org' type='result' id='id1'/>");
  EXPECT_EQ(s->priority(), -1);
  EXPECT_EQ(fake.sent.size(), 2u);  // still the first -1: nothing to change
  ASSERT_EQ(presences().size(), 1u);
  EXPECT_EQ(presences()[0].presence.state, PresenceState::available);

  feed("<presence from='bob@example.org/phone' type='unavailable'/>");
  EXPECT_EQ(s->priority(), 0);
  EXPECT_EQ(fake.sent.back(), "<presence><priority>0</priority></presence>");
  ASSERT_EQ(presences().size(), 2u);
  EXPECT_EQ(presences()[1].presence.state, PresenceState::offline);

  // A resource that itself stays out of the way (negative priority) does not count.
  feed("<presence from='bob@example.org/bot'><priority>-5</priority></presence>");
  EXPECT_EQ(s->priority(), 0);
  feed("<presence from='bob@example.org/pc'><show>away</show></presence>");
  EXPECT_EQ(s->priority(), -1);
  EXPECT_EQ(presences().back().presence.state, PresenceState::available);
  // Contacts' presence changes nothing.
  feed("<presence from='carol@example.org/x' type='unavailable'/>");
  EXPECT_EQ(s->priority(), -1);
}

// A contact coming online is told to the router (it sends again what bounced while they
// were away) as seen by the account; going offline, or a subscription, is not.
TEST_F(ClientTest, AContactComingOnlineIsReported) {
  s->on_up(t0);
  feed("<iq from='example.org' type='result' id='id1'/>");
  const auto before = presences().size();
  feed("<presence from='Carol@Example.org/x' type='unavailable'/>");
  feed("<presence from='carol@example.org/x' type='subscribe'/>");
  feed("<presence from='carol@example.org'/>");  // no resource: not a client
  EXPECT_EQ(presences().size(), before);
  feed("<presence from='Carol@Example.org/x'><show>away</show></presence>");
  ASSERT_EQ(presences().size(), before + 1);
  const auto p = presences().back();
  EXPECT_EQ(p.who, (Address{Network::xmpp, "carol@example.org"}));
  EXPECT_EQ(p.observer, (Address{Network::xmpp, "bob@example.org"}));
  EXPECT_EQ(p.presence.state, PresenceState::available);
  EXPECT_EQ(s->priority(), 0);  // the account's own clients are unchanged

  // Once per return: a status change or a second client of hers is not news.
  feed("<presence from='carol@example.org/x'/>");
  feed("<presence from='carol@example.org/y'><show>dnd</show></presence>");
  EXPECT_EQ(presences().size(), before + 1);
  feed("<presence from='carol@example.org/x' type='unavailable'/>");
  feed("<presence from='carol@example.org/x'/>");  // y is still online
  EXPECT_EQ(presences().size(), before + 1);
  feed("<presence from='carol@example.org/x' type='unavailable'/>");
  feed("<presence from='carol@example.org/y' type='unavailable'/>");
  feed("<presence from='carol@example.org/y'/>");  // back again
  EXPECT_EQ(presences().size(), before + 2);
  // After a reconnection the server sends every contact's presence again: each is news.
  s->on_down();
  s->on_up(t0);
  feed("<iq from='example.org' type='result' id='id2'/>");
  const auto relogged = presences().size();
  feed("<presence from='carol@example.org/y'/>");
  EXPECT_EQ(presences().size(), relogged + 1);
}

TEST_F(ClientTest, SettlesOnTimeoutWithoutAnswer) {
  s->on_up(t0);
  s->tick(t0 + std::chrono::milliseconds(100));
  EXPECT_FALSE(s->settled());
  s->tick(t0 + std::chrono::seconds(4));
  EXPECT_TRUE(s->settled());
  EXPECT_EQ(s->priority(), 0);
}

TEST_F(ClientTest, MessagesBecomeInbound) {
  s->on_up(t0);
  feed(
      "<message from='carol@example.org/x' to='bob@example.org' type='chat' id='c1'><body>yo</body>"
      "<request xmlns='urn:xmpp:receipts'/></message>");
  auto* m = fake.last<InboundMessage>();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->connector, "xmpp-client");
  EXPECT_EQ(m->from, (Address{Network::xmpp, "carol@example.org"}));
  EXPECT_EQ(m->to, (Address{Network::xmpp, "bob@example.org"}));
  EXPECT_TRUE(m->wants_receipt);
  const auto before = fake.sent.size();
  m->ack(Error::forbidden("no"));
  fake.run_posted();
  EXPECT_EQ(fake.sent.size(), before);  // nothing visible on refusal
  // From the account itself: ignored.
  fake.clear();
  feed("<message from='bob@example.org/phone' to='bob@example.org'><body>self</body></message>");
  EXPECT_EQ(fake.last<InboundMessage>(), nullptr);
}

TEST_F(ClientTest, OutboundAndIq) {
  OutboundMessage m;
  m.from = {Network::xmpp, "bob@example.org"};
  m.to = {Network::xmpp, "carol@example.org"};
  m.body = "hi";
  EXPECT_FALSE(s->send(m));  // not logged in
  s->on_up(t0);
  fake.clear();
  ASSERT_TRUE(s->send(m));
  EXPECT_EQ(fake.sent.back(),
            "<message to='carol@example.org' type='chat' id='id2'><body>hi</body></message>");
  m.from = {Network::xmpp, "eve@example.org"};
  EXPECT_FALSE(s->send(m));
  feed("<iq from='carol@example.org/x' type='get' id='v'><query xmlns='jabber:iq:version'/></iq>");
  EXPECT_NE(fake.sent.back().find("<service-unavailable"), std::string::npos);
  feed("<iq from='example.org' type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_EQ(fake.sent.back(), "<iq to='example.org' type='result' id='p'/>");
}

}  // namespace
}  // namespace passerelle::xmpp
