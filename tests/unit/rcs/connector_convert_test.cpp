// The RCS connector's pure parts: the capability cache (TTL, bound) and the mapping of the
// platform's events to the bridge's model.

#include <gtest/gtest.h>

#include "rcs/connector/capability_cache.hpp"
#include "rcs/convert/convert.hpp"

namespace passerelle::rcs {
namespace {

TEST(CapabilityCache, AnswersAreTrustedForTheirTtlOnly) {
  CapabilityCache cache(1000);
  EXPECT_FALSE(cache.find("+33611111111", 0));
  cache.put("+33611111111", Capability{true, false}, 0);
  ASSERT_TRUE(cache.find("+33611111111", 999));
  EXPECT_TRUE(cache.find("+33611111111", 999)->chat);
  EXPECT_FALSE(cache.find("+33611111111", 1000));             // expired: ask again
  cache.put("+33611111111", Capability{false, false}, 1000);  // a newer answer replaces it
  EXPECT_FALSE(cache.find("+33611111111", 1500)->chat);
  EXPECT_EQ(cache.size(), 1u);
  cache.forget("+33611111111");
  EXPECT_FALSE(cache.find("+33611111111", 1500));
}

TEST(CapabilityCache, IsBoundedAndDropsWhatExpiresFirst) {
  CapabilityCache cache(1000, 3);
  cache.put("+1", {true, true}, 0);
  cache.put("+2", {true, true}, 10);
  cache.put("+3", {true, true}, 20);
  cache.put("+4", {true, true}, 30);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.find("+1", 40));
  EXPECT_TRUE(cache.find("+4", 40));
}

TEST(CapabilityCache, ATtlOfZeroKeepsNothing) {
  CapabilityCache cache(0);
  cache.put("+1", {true, true}, 0);
  EXPECT_FALSE(cache.find("+1", 0));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(Convert, EveryKindOfMessageBecomesTextThatSaysWhatItWas) {
  InboundText t;
  t.text = "hello";
  EXPECT_EQ(*inbound_text(Event{t}), "hello");
  SuggestionResponse r;
  r.display_text = "Yes";
  r.postback = "yes-1";
  EXPECT_EQ(*inbound_text(Event{r}), "Yes");
  InboundLocation l;
  l.latitude = 48.8584;
  l.longitude = 2.2945;
  l.label = "Tour Eiffel";
  EXPECT_EQ(*inbound_text(Event{l}), "Tour Eiffel: geo:48.858400,2.294500");
  InboundFile f;
  f.file.name = "photo.jpg";
  f.file.size = 2'500'000;
  f.file.mime_type = "image/jpeg";
  EXPECT_EQ(*inbound_text(Event{f}), "[sent a file \"photo.jpg\", 2.5 MB, image/jpeg]");
  f.audio = true;
  f.file = {};
  EXPECT_EQ(*inbound_text(Event{f}), "[sent a voice message]");
  EXPECT_FALSE(inbound_text(Event{StatusEvent{}}));
  EXPECT_FALSE(inbound_text(Event{TypingEvent{}}));
  EXPECT_FALSE(inbound_text(Event{NewUser{}}));
}

TEST(Convert, StatusesAndTyping) {
  EXPECT_EQ(delivery_state(DeliveryStatus::delivered), DeliveryState::delivered);
  EXPECT_EQ(delivery_state(DeliveryStatus::displayed), DeliveryState::read);
  EXPECT_EQ(delivery_state(DeliveryStatus::failed), DeliveryState::failed);
  EXPECT_FALSE(delivery_state(DeliveryStatus::sent));
  EXPECT_FALSE(delivery_state(DeliveryStatus::pending));
  EXPECT_FALSE(delivery_state(DeliveryStatus::cancelled));
  EXPECT_EQ(typing_for(ChatState::composing), Typing::active);
  EXPECT_EQ(typing_for(ChatState::paused), Typing::idle);
  EXPECT_EQ(typing_for(ChatState::gone), Typing::idle);
  EXPECT_EQ(chat_state_for(Typing::active), ChatState::composing);
  EXPECT_EQ(chat_state_for(Typing::idle), ChatState::paused);
}

TEST(Convert, NoticesSuggestTheCommandsTheyMention) {
  const auto chips = command_replies(
      "passerelle: reply with @network:id message to choose who gets it. STOP to stop, START "
      "to resume.");
  ASSERT_EQ(chips.size(), 2u);
  EXPECT_EQ(std::get<Reply>(chips[0]).display_text, "STOP");
  EXPECT_EQ(std::get<Reply>(chips[0]).postback, "STOP");
  EXPECT_EQ(std::get<Reply>(chips[1]).display_text, "START");
  EXPECT_EQ(command_replies("Reply START to resume, or HELP.").size(), 2u);
  EXPECT_TRUE(command_replies("STOPPED; restart; help").empty());  // whole upper-case words only
  EXPECT_TRUE(command_replies("").empty());
}

}  // namespace
}  // namespace passerelle::rcs
