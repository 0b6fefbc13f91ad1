// The sans-IO parts of the OSCAR session and connector: the rate-class send queue's
// arithmetic (RateLimiter), presence mapping and text conversion (convert/).
#include <gtest/gtest.h>

#include "hex.hpp"
#include "oscar/codec/fault.hpp"
#include "oscar/codec/icbm.hpp"
#include "oscar/convert/convert.hpp"
#include "oscar/session/rate_limiter.hpp"

namespace passerelle::oscar {
namespace {

// The test server's ICBM class (class 3), members ICBM 0x0006.
RateClass icbm_class() {
  RateClass c;
  c.id = 3;
  c.window = 20;
  c.clear_level = 5100;
  c.alert_level = 5000;
  c.limit_level = 4000;
  c.disconnect_level = 3000;
  c.current_level = 6000;
  c.max_level = 6000;
  c.members = {{0x0004, 0x0006}};
  return c;
}

// The server's side of the average, as the test server computes it.
struct ServerModel {
  RateClass c;
  std::uint64_t level;
  std::uint64_t last;
  bool warned = false;
  void receive(std::uint64_t t) {
    level = std::min<std::uint64_t>(c.max_level, (level * (c.window - 1) + (t - last)) / c.window);
    last = t;
    if (level < c.alert_level) warned = true;
  }
};

TEST(RateLimiter, UnlistedSnacsNeverWait) {
  RateLimiter r;
  r.set_classes({icbm_class()}, 0);
  EXPECT_EQ(r.class_of(0x0001, 0x0002), 0);
  EXPECT_EQ(r.wait_ms(0, 0), 0u);
  EXPECT_EQ(r.class_of(0x0004, 0x0006), 3);
}

TEST(RateLimiter, ABurstIsSpreadSoTheServerNeverWarns) {
  RateLimiter r;
  r.set_classes({icbm_class()}, 0);
  ServerModel server{icbm_class(), 6000, 0};
  std::uint64_t now = 0;
  int immediate = 0;
  for (int i = 0; i < 50; ++i) {
    const auto w = r.wait_ms(3, now);
    if (w == 0) ++immediate;
    now += w;
    r.on_sent(3, now);
    server.receive(now);
    EXPECT_GE(*r.level(3), icbm_class().clear_level) << "message " << i;
  }
  EXPECT_FALSE(server.warned);
  EXPECT_GE(immediate, 2);  // the first two go at once (6000 → 5700 → 5415)
  EXPECT_LE(immediate, 10);
  // Sustained, about one message per clear level's worth of time (~5.2 s).
  const auto before = now;
  for (int i = 0; i < 10; ++i) {
    now += r.wait_ms(3, now);
    r.on_sent(3, now);
    server.receive(now);
  }
  EXPECT_FALSE(server.warned);
  EXPECT_GE(now - before, 10u * 5000);
}

TEST(RateLimiter, LevelFollowsTheDocumentedAverage) {
  RateLimiter r;
  r.set_classes({icbm_class()}, 1000);
  r.on_sent(3, 1000);  // delta 0
  EXPECT_EQ(*r.level(3), (19u * 6000 + 0) / 20);
  r.on_sent(3, 1100);
  EXPECT_EQ(*r.level(3), (19u * 5700 + 100) / 20);
  // Idle time brings it back, capped at max.
  r.on_sent(3, 1000000);
  EXPECT_EQ(*r.level(3), 6000u);
}

TEST(RateLimiter, ARateChangeReplacesParametersAndLevel) {
  RateLimiter r;
  r.set_classes({icbm_class()}, 0);
  RateChange ch;
  ch.code = rate_change::changed;
  ch.params = icbm_class();
  ch.params.window = 10;
  ch.params.clear_level = 300;
  ch.params.alert_level = 250;
  ch.params.limit_level = 200;
  ch.params.disconnect_level = 50;
  ch.params.max_level = 500;
  ch.params.current_level = 260;
  ch.params.members.clear();  // 0x000A carries no members: they stay
  r.apply_change(ch, 0);
  EXPECT_EQ(*r.level(3), 260u);
  EXPECT_EQ(r.class_of(0x0004, 0x0006), 3);
  // Needs (10 * 350 - 9 * 260) = 1160 ms to get back above clear + margin.
  EXPECT_EQ(r.wait_ms(3, 0), 1160u);
  EXPECT_EQ(r.wait_ms(3, 1000), 160u);
}

TEST(Convert, Addresses) {
  EXPECT_EQ(buddy_address("Bob Smith").str(), "aim:bobsmith");
  EXPECT_EQ(buddy_address("123456789").str(), "icq:123456789");
  EXPECT_TRUE(is_uin("42"));
  EXPECT_FALSE(is_uin("b42"));
  EXPECT_EQ(normalize_screen_name("Alice Smith"), "alicesmith");
}

TEST(Convert, AimPresence) {
  UserInfo u;
  u.screen_name = "bob";
  u.user_class = user_class::aim;
  EXPECT_EQ(buddy_presence(u).state, PresenceState::available);
  u.user_class = user_class::aim | user_class::away;
  auto p = buddy_presence(u, std::string("lunch"));
  EXPECT_EQ(p.state, PresenceState::away);
  EXPECT_EQ(p.status, "lunch");
  u.user_class = user_class::aim | user_class::wireless;
  EXPECT_EQ(buddy_presence(u).device, Device::mobile);
}

TEST(Convert, IcqStatuses) {
  UserInfo u;
  u.user_class = user_class::icq;
  auto state = [&](std::uint32_t st) {
    u.icq_status = st;
    return buddy_presence(u).state;
  };
  EXPECT_EQ(state(0x0000), PresenceState::available);
  EXPECT_EQ(state(0x0020), PresenceState::chatty);
  EXPECT_EQ(state(0x0001), PresenceState::away);
  EXPECT_EQ(state(0x0005), PresenceState::xa);
  EXPECT_EQ(state(0x0011), PresenceState::busy);
  EXPECT_EQ(state(0x0013), PresenceState::busy);
  EXPECT_EQ(state(0x0100), PresenceState::invisible);
  u.icq_status = 0x0013;
  EXPECT_EQ(buddy_presence(u).status, "Do not disturb");
  u.icq_status = 0x0011;
  EXPECT_EQ(buddy_presence(u).status, "Occupied");
}

TEST(Convert, OwnStatus) {
  Presence p;
  p.state = PresenceState::available;
  EXPECT_EQ(own_status(p).icq_status, icq_status::online);
  EXPECT_TRUE(own_status(p).away_text.empty());
  p.state = PresenceState::away;
  p.status = "at lunch";
  EXPECT_EQ(own_status(p).icq_status, icq_status::away);
  EXPECT_EQ(own_status(p).away_text, "at lunch");
  p.state = PresenceState::busy;
  p.status.clear();
  EXPECT_EQ(own_status(p).icq_status, icq_status::away | icq_status::occupied);
  EXPECT_EQ(own_status(p).away_text, "Busy");
  p.state = PresenceState::invisible;
  EXPECT_EQ(own_status(p).icq_status, icq_status::invisible);
  p.state = PresenceState::offline;
  EXPECT_FALSE(own_status(p).away_text.empty());
}

TEST(Convert, TextBothWays) {
  IcbmCookie c{1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(cookie_hex(c), "0102030405060708");
  auto im = make_text_im(c, "bob", outgoing_text("a < b & café 😀\nnext", false));
  ASSERT_TRUE(im.ok());
  IncomingIm in;
  in.fragments = im->fragments;
  auto text = incoming_text(in);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "a < b & café 😀\nnext");
  EXPECT_EQ(outgoing_text("a<b", true), "a<b");
  in.fragments = {make_text_fragment(*encode_text("<HTML><BODY><B>hi</B> 你好</BODY></HTML>"))};
  EXPECT_EQ(*incoming_text(in), "hi 你好");
}

// OSERVICE 0x0010 (evil notification): the new level in tenths of a percent, then the
// warner's user info block unless the warning was anonymous.
TEST(Convert, WarningReason) {
  using test::hex;
  // The documents' example dump (level 1.0%, warned by 6218895, with 4 bytes after the
  // TLVs its count announces).
  auto doc =
      warning_reason(hex("000a 07 36323138383935 0000 0004 0001 0002 0006 0004 0002 0000"
                         "000f 0004 00000000 0003 0004 3de7388b 0001 0001"));
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(*doc, "warned by 6218895 (warning level 1%)");
  // Named, as the test server sends it: 15%, and the warner's name as the server spells it.
  EXPECT_EQ(*warning_reason(hex("0096 09 426f6220536d697468 0000 0001 0001 0002 0010")),
            "warned by Bob Smith (warning level 15%)");
  // Anonymous: the level alone; a level that is not a whole percent keeps its tenth.
  EXPECT_EQ(*warning_reason(hex("00b4")), "warned by anonymous (warning level 18%)");
  EXPECT_EQ(*warning_reason(hex("01ed")), "warned by anonymous (warning level 49.3%)");
  EXPECT_EQ(*warning_reason(hex("0005")), "warned by anonymous (warning level 0.5%)");
  // A warner block that cannot be read does not make the warning anonymous.
  EXPECT_EQ(*warning_reason(hex("0096 09 426f62")), "warned by someone (warning level 15%)");
  // No level: nothing to tell.
  for (const char* bad : {"", "00"}) {
    auto r = warning_reason(hex(bad));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(fault_of(r.error()), Fault::truncated);
  }
}

TEST(Convert, TypingStates) {
  EXPECT_EQ(chat_state_of(typing::begun), ChatState::composing);
  EXPECT_EQ(chat_state_of(typing::typed), ChatState::paused);
  EXPECT_EQ(chat_state_of(typing::done), ChatState::active);
  EXPECT_EQ(typing_state_of(ChatState::composing), typing::begun);
  EXPECT_EQ(typing_state_of(ChatState::paused), typing::typed);
  EXPECT_EQ(typing_state_of(ChatState::gone), typing::done);
}

}  // namespace
}  // namespace passerelle::oscar
