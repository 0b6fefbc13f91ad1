#include "xmpp/stanza.hpp"

#include <gtest/gtest.h>

#include "xmpp/xml.hpp"

namespace passerelle::xmpp {
namespace {
using xml::to_string;

TEST(Xml, EscapesAndDropsControls) {
  xml::Element e("body");
  e.set("a", "x'\"<&>");
  e.add_text("1 < 2 & 'q' \x01\x02ok\n");
  EXPECT_EQ(to_string(e), "<body a='x&apos;&quot;&lt;&amp;&gt;'>1 &lt; 2 &amp; 'q' ok\n</body>");
}

TEST(Stanza, ChatMessage) {
  EXPECT_EQ(
      to_string(
          chat_message("+33611111111@sms.example.org", "alice@example.org", "m1", "hi <3", true)),
      "<message from='+33611111111@sms.example.org' to='alice@example.org' type='chat' id='m1'>"
      "<body>hi &lt;3</body><request xmlns='urn:xmpp:receipts'/></message>");
}

TEST(Stanza, ChatMessageWithLink) {
  Attachment a;
  a.name = "photo.jpg";
  a.url = "https://x.example/p.jpg";
  EXPECT_EQ(to_string(chat_message("f", "t", "i", "look", false, {a})),
            "<message from='f' to='t' type='chat' id='i'><body>look\nhttps://x.example/p.jpg</body>"
            "<x "
            "xmlns='jabber:x:oob'><url>https://x.example/p.jpg</url><desc>photo.jpg</desc></x></"
            "message>");
}

TEST(Stanza, Receipt) {
  EXPECT_EQ(to_string(receipt("p@sms.example.org", "alice@example.org", "r1", "orig-7")),
            "<message from='p@sms.example.org' to='alice@example.org' id='r1'>"
            "<received xmlns='urn:xmpp:receipts' id='orig-7'/></message>");
}

TEST(Stanza, MessageError) {
  EXPECT_EQ(to_string(message_error("p@sms.example.org", "alice@example.org/pc", "o1",
                                    stanza_error_for(Error::forbidden("not allowed here")))),
            "<message from='p@sms.example.org' to='alice@example.org/pc' type='error' id='o1'>"
            "<error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
            "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>not allowed "
            "here</text></error></message>");
}

TEST(Stanza, ChatState) {
  EXPECT_EQ(
      to_string(chat_state_message("p@sms.example.org", "a@example.org", ChatState::composing)),
      "<message from='p@sms.example.org' to='a@example.org' type='chat'>"
      "<composing xmlns='http://jabber.org/protocol/chatstates'/><no-store "
      "xmlns='urn:xmpp:hints'/></message>");
  for (ChatState s : {ChatState::active, ChatState::composing, ChatState::paused,
                      ChatState::inactive, ChatState::gone})
    EXPECT_EQ(chat_state_from_name(chat_state_name(s)), s);
  EXPECT_FALSE(chat_state_from_name("typing"));
}

TEST(Stanza, Presence) {
  EXPECT_EQ(to_string(presence("p@d", "a@e", {PresenceState::available, {}, Device::mobile, 0})),
            "<presence from='p@d' to='a@e'/>");
  EXPECT_EQ(to_string(presence("p@d", "a@e", {PresenceState::busy, "meeting", Device::unknown, 0})),
            "<presence from='p@d' to='a@e'><show>dnd</show><status>meeting</status></presence>");
  EXPECT_EQ(to_string(presence("p@d", "a@e", {PresenceState::invisible, {}, Device::unknown, 0})),
            "<presence from='p@d' to='a@e' type='unavailable'/>");
  EXPECT_EQ(to_string(presence({}, {}, {PresenceState::available, {}, Device::unknown, 0}, -1)),
            "<presence><priority>-1</priority></presence>");
  EXPECT_EQ(to_string(subscription("p@d", "a@e", SubscriptionAction::subscribed)),
            "<presence from='p@d' to='a@e' type='subscribed'/>");
}

TEST(Stanza, IqReplies) {
  xml::Element req("iq");
  req.set("from", "a@e/r").set("to", "sms.e").set("type", "get").set("id", "q1");
  req.add(xml::Element("query", "urn:x:unknown"));
  EXPECT_EQ(to_string(iq_result(req)), "<iq from='sms.e' to='a@e/r' type='result' id='q1'/>");
  EXPECT_EQ(to_string(iq_error(req, service_unavailable())),
            "<iq from='sms.e' to='a@e/r' type='error' id='q1'><error type='cancel'>"
            "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
}

TEST(Stanza, ErrorMapping) {
  struct Case {
    Error e;
    StanzaError want;
  };
  const Case cases[] = {
      {Error::invalid("x"), {"modify", "bad-request", "x"}},
      {Error::forbidden("x"), {"auth", "forbidden", "x"}},
      {Error{Errc::limit_exceeded, "q", true, 0}, {"wait", "resource-constraint", "q"}},
      {Error::limit("cap"), {"modify", "policy-violation", "cap"}},
      {Error::missing("x"), {"cancel", "item-not-found", "x"}},
      {Error::transient("x"), {"wait", "remote-server-timeout", "x"}},
      {Error{Errc::unknown_outcome, "x", false, 0}, {"wait", "undefined-condition", "x"}},
      {Error{Errc::internal, "x", false, 0}, {"cancel", "internal-server-error", "x"}},
  };
  for (const auto& c : cases) EXPECT_EQ(stanza_error_for(c.e), c.want) << errc_name(c.e.code);
  EXPECT_EQ(jid_malformed("bad").condition, "jid-malformed");
  EXPECT_EQ(jid_malformed("bad").type, "modify");
}

}  // namespace
}  // namespace passerelle::xmpp
