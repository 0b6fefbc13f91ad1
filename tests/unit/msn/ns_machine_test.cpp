// NsMachine fed server commands as the test server and the G-M1..G-M4 transcripts send
// them (tests/vectors/msnp.json), checking what it writes and what it reports.
#include "msn/session/ns_machine.hpp"

#include <gtest/gtest.h>

#include "msn/codec/decoder.hpp"

namespace passerelle::msn {
namespace {

std::vector<Command> decode_all(std::string_view bytes, int version) {
  Decoder d(Grammar::server(version));
  std::vector<Command> out;
  while (!bytes.empty()) {
    auto step = d.decode(bytes);
    bytes.remove_prefix(step.consumed);
    if (auto* c = std::get_if<Command>(&step.outcome)) out.push_back(std::move(*c));
    if (std::holds_alternative<DecodeError>(step.outcome)) ADD_FAILURE() << "decode error";
  }
  return out;
}

std::string wire(const std::vector<Effect>& effects) {
  std::string out;
  for (const auto& e : effects) {
    if (auto* s = std::get_if<effect::Send>(&e)) {
      EXPECT_TRUE(encode(s->cmd, out).ok());
    }
  }
  return out;
}

template <typename T>
std::vector<T> only(const std::vector<Effect>& effects) {
  std::vector<T> out;
  for (const auto& e : effects)
    if (auto* x = std::get_if<T>(&e)) out.push_back(*x);
  return out;
}

struct Fixture {
  explicit Fixture(int max = kMsnp12, std::string psm = {})
      : m(NsMachine::Settings{"t1e@example.com", max, Status::online, std::move(psm)}) {}
  std::vector<Effect> feed(std::string_view bytes) {
    const int v = m.version() ? m.version() : kMsnp12;
    for (auto& c : decode_all(bytes, v)) m.feed(c);
    return m.take();
  }
  NsMachine m;
};

TEST(NsMachine, Msnp12LoginAsInTheTranscript) {
  Fixture f(kMsnp12, "au travail");
  f.m.start();
  EXPECT_EQ(wire(f.m.take()), "VER 1 MSNP12 MSNP11 MSNP10 MSNP9 MSNP8 CVR0\r\n");
  EXPECT_EQ(wire(f.feed("VER 1 MSNP12\r\n")),
            "CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 7.5.0324 msmsgs t1e@example.com\r\n");
  EXPECT_EQ(f.m.version(), 12);
  EXPECT_EQ(wire(f.feed("CVR 2 7.5.0324 7.5.0324 7.0.0425 http://x http://y\r\n")),
            "USR 3 TWN I t1e@example.com\r\n");
  auto e = f.feed("USR 3 TWN S lc=1033,id=507,tw=40,fs=1,ct=1,kpp=1,kv=5,ver=2.1.0173.1\r\n");
  auto t = only<effect::FetchTicket>(e);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].challenge, "lc=1033,id=507,tw=40,fs=1,ct=1,kpp=1,kv=5,ver=2.1.0173.1");
  EXPECT_EQ(f.m.phase(), NsPhase::ticket);
  f.m.ticket("t=abc&p=def");
  EXPECT_EQ(wire(f.m.take()), "USR 4 TWN S t=abc&p=def\r\n");
  EXPECT_EQ(wire(f.feed("USR 4 OK t1e@example.com 1 0\r\nSBS 0 null\r\n")), "SYN 5 0 0\r\n");
  e = f.feed(
      "SYN 5 0 0 2 1\r\nGTC A\r\nBLP AL\r\nPRP MFN T1e\r\nLSG Friends 0ab\r\n"
      "LST N=t2e@example.com F=T%20Two C=guid-2 11 1 0ab\r\n"
      "LST N=t3e@example.com F=T3e 8 1 \r\n");
  EXPECT_EQ(wire(e), "CHG 6 NLN 0\r\n");
  // t2e is on our forward list: its (offline) presence is published; t3e only added us.
  auto p = only<effect::ContactPresence>(e);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].email, "t2e@example.com");
  auto rl = only<effect::ReverseAdd>(e);
  ASSERT_EQ(rl.size(), 1u);
  EXPECT_EQ(rl[0].email, "t3e@example.com");
  const Contact* t2 = f.m.contact("t2e@example.com");
  ASSERT_NE(t2, nullptr);
  EXPECT_EQ(t2->name, "T Two");
  EXPECT_EQ(t2->guid, "guid-2");
  EXPECT_EQ(t2->lists, 11u);

  e = f.feed(
      "CHG 6 NLN 0\r\nILN 6 AWY t2e@example.com T2e 0 %3Cmsnobj%2F%3E\r\n"
      "UBX t2e@example.com 58\r\n<Data><PSM>caf\xc3\xa9</PSM><CurrentMedia></CurrentMedia></Data>");
  ASSERT_EQ(only<effect::Online>(e).size(), 1u);
  EXPECT_EQ(f.m.phase(), NsPhase::online);
  EXPECT_EQ(wire(e), "UUX 7 63\r\n<Data><PSM>au travail</PSM><CurrentMedia></CurrentMedia></Data>");
  EXPECT_EQ(only<effect::ContactPresence>(e).size(), 2u);
  EXPECT_EQ(f.m.contact("t2e@example.com")->status, Status::away);
  EXPECT_EQ(f.m.contact("t2e@example.com")->psm, "café");

  e = f.feed("NLN BSY t2e@example.com T2e 0 %3Cmsnobj%2F%3E\r\nFLN t2e@example.com\r\n");
  EXPECT_EQ(only<effect::ContactPresence>(e).size(), 2u);
  EXPECT_EQ(f.m.contact("t2e@example.com")->status, Status::offline);
}

TEST(NsMachine, Msnp8ProfileBeforeUsrOkAndOldListForms) {
  Fixture f(kMsnp12);
  f.m.start();
  f.m.take();
  f.feed("VER 1 MSNP8\r\n");
  EXPECT_EQ(f.m.version(), 8);
  f.feed("CVR 2 6.2.0208 6.2.0208 6.0.0602 http://x http://y\r\n");
  f.feed("USR 3 TWN S lc=1033,id=507\r\n");
  f.m.ticket("t=x&p=y");
  f.m.take();
  // G-M4: the profile MSG comes before USR OK.
  auto e = f.feed(
      "MSG Hotmail Hotmail 25\r\nMIME-Version: 1.0\r\n\r\nabcd"
      "USR 4 OK t1e@example.com T1e 1 0\r\n");
  EXPECT_EQ(wire(e), "SYN 5 0\r\n");
  e = f.feed(
      "SYN 5 1 1 1\r\nGTC A\r\nBLP AL\r\nLSG 0 Other%20Contacts 0\r\n"
      "LST t2e@example.com T2e 11 0\r\n");
  EXPECT_EQ(wire(e), "CHG 6 NLN 0\r\n");
  f.feed("CHG 6 NLN 0\r\nILN 6 NLN t2e@example.com T2e 0\r\nQNG\r\n");
  EXPECT_EQ(f.m.contact("t2e@example.com")->status, Status::online);
  // MSNP8 adds by ADD and has no personal message.
  f.m.add_contact("new@example.com");
  EXPECT_EQ(
      wire(f.m.take()),
      "ADD 7 FL new@example.com new@example.com\r\nADD 8 AL new@example.com new@example.com\r\n");
  f.m.set_presence(Status::away, "ignored before MSNP11");
  EXPECT_EQ(wire(f.m.take()), "CHG 9 AWY 0\r\n");
  e = f.feed("ADD 0 RL 12 fan@example.com Fan%20Club\r\n");
  auto rl = only<effect::ReverseAdd>(e);
  ASSERT_EQ(rl.size(), 1u);
  EXPECT_EQ(rl[0].name, "Fan Club");
}

struct Online : ::testing::Test {
  Online() {
    f.m.start();
    f.feed("VER 1 MSNP12\r\nCVR 2 x\r\nUSR 3 TWN S c\r\n");
    f.m.ticket("t");
    f.feed("USR 4 OK t1e@example.com 1 0\r\nSYN 5 0 0 1 0\r\n");
    f.feed("LST N=t2e@example.com F=T2e C=g2 11 1 \r\nCHG 6 NLN 0\r\n");
    EXPECT_EQ(f.m.phase(), NsPhase::online);
  }
  Fixture f;
};

TEST_F(Online, SwitchboardsRingsAndErrors) {
  EXPECT_EQ(f.m.request_switchboard(), 7u);
  EXPECT_EQ(wire(f.m.take()), "XFR 7 SB\r\n");
  auto e = f.feed("XFR 7 SB 127.0.0.1:1864 CKI 17262740.1050826919.32308\r\n");
  auto g = only<effect::SwitchboardGranted>(e);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].trid, 7u);
  EXPECT_EQ(g[0].host, "127.0.0.1");
  EXPECT_EQ(g[0].port, 1864);
  EXPECT_EQ(g[0].cookie, "17262740.1050826919.32308");
  e = f.feed("RNG 11752013 127.0.0.1:1864 CKI 849102291.520491113 T2e@Example.com T%20Two\r\n");
  auto r = only<effect::Ring>(e);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].session, "11752013");
  EXPECT_EQ(r[0].caller, "t2e@example.com");
  EXPECT_EQ(r[0].name, "T Two");
  e = f.feed("913 8\r\n");
  auto err = only<effect::TridError>(e);
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0].code, 913);
  EXPECT_EQ(f.m.phase(), NsPhase::online);
}

TEST_F(Online, KeepAliveChallengeAndLists) {
  f.m.ping();
  EXPECT_EQ(wire(f.m.take()), "PNG\r\n");
  auto e = f.feed("QNG 42\r\n");
  ASSERT_EQ(only<effect::PingInterval>(e).size(), 1u);
  EXPECT_EQ(only<effect::PingInterval>(e)[0].seconds, 42);
  e = f.feed("CHL 0 22210219642164014968\r\n");
  EXPECT_EQ(wire(e), "QRY 7 PROD0090YUAUV{2B 32\r\n85ecb0db8f32113df79ce0892b9a102c");
  f.m.remove_contact("t2e@example.com");
  f.m.block_contact("t2e@example.com");
  EXPECT_EQ(wire(f.m.take()), "REM 8 FL g2\r\nREM 9 AL t2e@example.com\r\n");
  f.feed("REM 8 FL g2\r\n");
  EXPECT_EQ(f.m.contact("t2e@example.com")->lists & list::forward, 0u);
  e = f.feed("ADC 0 RL N=fan@example.com F=Fan\r\n");
  ASSERT_EQ(only<effect::ReverseAdd>(e).size(), 1u);
  f.m.add_contact("Fan@example.com");
  EXPECT_EQ(wire(f.m.take()),
            "ADC 10 FL N=fan@example.com F=fan@example.com\r\nADC 11 AL N=fan@example.com\r\n");
}

TEST_F(Online, SignedOutElsewhereOrShutdown) {
  auto e = f.feed("OUT OTH\r\n");
  auto end = only<effect::End>(e);
  ASSERT_EQ(end.size(), 1u);
  EXPECT_EQ(end[0].kind, EndKind::elsewhere);
  EXPECT_EQ(f.m.phase(), NsPhase::ended);
  f.m.start();
  f.m.take();
  f.feed("VER 1 MSNP12\r\n");
  EXPECT_EQ(f.m.contact("t2e@example.com")->status, Status::offline);
}

TEST_F(Online, ReverseListChanges) {
  // Already answered (on AL): no request. Removed from their list: unsubscribe.
  auto e = f.feed("ADC 0 RL N=t2e@example.com F=T2e\r\nREM 0 RL N=t2e@example.com\r\n");
  EXPECT_TRUE(only<effect::ReverseAdd>(e).empty());
  auto rem = only<effect::ReverseRemove>(e);
  ASSERT_EQ(rem.size(), 1u);
  EXPECT_EQ(rem[0].email, "t2e@example.com");
  EXPECT_EQ(f.m.contact("t2e@example.com")->lists & list::reverse, 0u);
}

TEST_F(Online, OwnPresenceAndPersonalMessage) {
  f.m.set_presence(Status::busy, "au téléphone");
  EXPECT_EQ(wire(f.m.take()),
            "CHG 7 BSY 0\r\nUUX 8 67\r\n<Data><PSM>au t\xc3\xa9l\xc3\xa9phone</PSM>"
            "<CurrentMedia></CurrentMedia></Data>");
  f.m.set_presence(Status::busy, "au téléphone");  // nothing changed: nothing sent
  EXPECT_EQ(wire(f.m.take()), "");
}

TEST(NsMachine, Msnp8ChallengeUsesTheMsnp8Product) {
  Fixture f(kMsnp8);
  f.m.start();
  f.feed("VER 1 MSNP8\r\nCVR 2 x\r\nUSR 3 TWN S c\r\n");
  f.m.ticket("t");
  f.feed("USR 4 OK t1e@example.com T1e 1 0\r\nSYN 5 0 0 0\r\nCHG 6 NLN 0\r\n");
  ASSERT_EQ(f.m.phase(), NsPhase::online);
  auto e = f.feed("CHL 0 15570131571988941333\r\n");
  const std::string w = wire(e);
  EXPECT_EQ(w.substr(0, 29), "QRY 7 msmsgs@msnmsgr.com 32\r\n");
  EXPECT_EQ(w.size(), 29u + 32u);
}

TEST(NsMachine, LoginErrorsByKind) {
  {
    Fixture f;
    f.m.start();
    auto e = f.feed("VER 1 MSNP12\r\nCVR 2 x\r\n601 3\r\n");  // server unavailable
    auto end = only<effect::End>(e);
    ASSERT_EQ(end.size(), 1u);
    EXPECT_EQ(end[0].kind, EndKind::transient);
    EXPECT_NE(end[0].reason.find("601"), std::string::npos);
  }
  {
    Fixture f;
    f.m.start();
    f.feed("VER 1 MSNP12\r\nCVR 2 x\r\nUSR 3 TWN S c\r\n");
    f.m.ticket("t");
    f.feed("USR 4 OK t1e@example.com 1 0\r\nSYN 5 0 0 0 0\r\nCHG 6 NLN 0\r\n");
    // After login a numeric error is one request's failure, not the account's.
    auto e = f.feed("217 9\r\n");
    EXPECT_TRUE(only<effect::End>(e).empty());
    ASSERT_EQ(only<effect::TridError>(e).size(), 1u);
    EXPECT_EQ(f.m.phase(), NsPhase::online);
  }
}

TEST(NsMachine, WrongPasswordRedirectAndNoVersion) {
  {
    Fixture f;
    f.m.start();
    f.feed("VER 1 MSNP12\r\nCVR 2 x\r\nUSR 3 TWN S c\r\n");
    f.m.ticket("bad");
    auto e = f.feed("911 4\r\n");
    auto end = only<effect::End>(e);
    ASSERT_EQ(end.size(), 1u);
    EXPECT_EQ(end[0].kind, EndKind::wrong_password);
    EXPECT_NE(end[0].reason.find("wrong password"), std::string::npos);
  }
  {
    Fixture f;
    f.m.start();
    auto e = f.feed("VER 1 MSNP12\r\nCVR 2 x\r\nXFR 3 NS 127.0.0.1:4000 0 127.0.0.1:1863\r\n");
    auto r = only<effect::Redirect>(e);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].port, 4000);
  }
  {
    Fixture f(kMsnp8);
    f.m.start();
    EXPECT_EQ(wire(f.m.take()), "VER 1 MSNP8 CVR0\r\n");
    auto e = f.feed("VER 1 0\r\n");
    ASSERT_EQ(only<effect::End>(e).size(), 1u);
    EXPECT_EQ(only<effect::End>(e)[0].kind, EndKind::transient);
  }
}

}  // namespace
}  // namespace passerelle::msn
