// Every vector of tests/vectors/oscar.json: hashes and roasting exactly; each frame decoded
// into its listed fields and encoded back from those fields, byte for byte.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "hex.hpp"
#include "oscar/codec/bucp.hpp"
#include "oscar/codec/families.hpp"
#include "oscar/codec/flap.hpp"
#include "oscar/codec/icbm.hpp"
#include "oscar/codec/login.hpp"
#include "oscar/codec/oservice.hpp"
#include "oscar/codec/snac.hpp"
#include "oscar/codec/tlv.hpp"

namespace passerelle::oscar {
namespace {

namespace json = boost::json;
using test::hex;
using test::to_hex;

json::value load() {
  std::ifstream in(std::string(PASSERELLE_VECTORS_DIR) + "/oscar.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

std::string str(const json::value& v) {
  return std::string(v.as_string());
}
std::int64_t num(const json::value& v) {
  if (v.is_string()) return std::stoll(str(v), nullptr, 0);  // "0x0017"
  if (v.is_bool()) return v.as_bool() ? 1 : 0;
  return v.to_number<std::int64_t>();
}
std::uint16_t u16(const json::object& o, const char* k) {
  return static_cast<std::uint16_t>(num(o.at(k)));
}

IcbmCookie cookie_of(const json::object& f) {
  IcbmCookie c{};
  auto b = hex(str(f.at("cookie")));
  EXPECT_EQ(b.size(), 8u);
  std::copy_n(b.begin(), std::min<std::size_t>(8, b.size()), c.begin());
  return c;
}

// Decodes the SNAC body by family/subtype, checks the listed fields, and returns the body
// re-encoded from those fields alone.
Bytes check_snac_body(const std::string& name, const SnacView& s, const json::object& f) {
  Bytes body;
  if (s.is(family::bucp, bucp::challenge_request)) {
    auto tlvs = parse_tlv_chain(s.body);
    EXPECT_TRUE(tlvs.ok()) << name;
    const auto& want = f.at("tlvs").as_array();
    EXPECT_EQ(tlvs->size(), want.size()) << name;
    for (std::size_t i = 0; i < want.size() && i < tlvs->size(); ++i) {
      const auto& w = want[i].as_object();
      EXPECT_EQ(tlvs->items[i].type, u16(w, "type")) << name;
      EXPECT_EQ(to_string(tlvs->items[i].value), str(w.at("value"))) << name;
    }
    EXPECT_EQ(want.size(), 1u);
    EXPECT_TRUE(append_challenge_request(body, str(want[0].as_object().at("value"))).ok());
  } else if (s.is(family::icbm, icbm::channel_msg_to_host)) {
    auto m = parse_outgoing_im(s.body);
    EXPECT_TRUE(m.ok()) << name << ": " << (m.ok() ? "" : m.error().message);
    if (!m.ok()) return body;
    EXPECT_EQ(m->cookie, cookie_of(f));
    EXPECT_EQ(m->channel, u16(f, "icbm_channel"));
    EXPECT_EQ(m->screen_name, str(f.at("screen_name")));
    EXPECT_EQ(m->request_host_ack, f.at("request_host_ack").as_bool());
    EXPECT_TRUE(m->other.empty());
    OutgoingIm rebuilt;
    rebuilt.cookie = cookie_of(f);
    rebuilt.channel = u16(f, "icbm_channel");
    rebuilt.screen_name = str(f.at("screen_name"));
    rebuilt.request_host_ack = f.at("request_host_ack").as_bool();
    const auto& frs = f.at("fragments").as_array();
    EXPECT_EQ(m->fragments.size(), frs.size());
    for (std::size_t i = 0; i < frs.size(); ++i) {
      const auto& w = frs[i].as_object();
      Fragment fr;
      fr.id = static_cast<std::uint8_t>(num(w.at("id")));
      fr.version = static_cast<std::uint8_t>(num(w.at("version")));
      if (w.contains("text")) {
        EncodedText t{u16(w, "charset"), Bytes()};
        auto text = str(w.at("text"));
        t.bytes.assign(text.begin(), text.end());
        fr = make_text_fragment(t, u16(w, "subset"));
        fr.version = static_cast<std::uint8_t>(num(w.at("version")));
        if (i < m->fragments.size()) {
          auto got = fragment_text(m->fragments[i]);
          EXPECT_TRUE(got.ok());
          if (got.ok()) {
            EXPECT_EQ(got->charset, t.charset);
          }
        }
      } else {
        fr.data = hex(str(w.at("data")));
      }
      if (i < m->fragments.size()) {
        EXPECT_EQ(m->fragments[i], fr) << name << " fragment " << i;
      }
      rebuilt.fragments.push_back(fr);
    }
    auto text = message_text(m->fragments);
    EXPECT_TRUE(text.ok());
    if (text.ok()) {
      EXPECT_EQ(*text, "hi");
    }
    EXPECT_TRUE(append_outgoing_im(body, rebuilt).ok());
    // The convenience builder makes the same bytes for plain ASCII text.
    auto im = make_text_im(cookie_of(f), str(f.at("screen_name")), "hi", true, false);
    Bytes again;
    EXPECT_TRUE(im.ok() && append_outgoing_im(again, *im).ok());
    EXPECT_EQ(to_hex(again), to_hex(body)) << name;
  } else if (s.is(family::icbm, icbm::client_event)) {
    auto t = parse_typing_event(s.body);
    EXPECT_TRUE(t.ok()) << name;
    if (!t.ok()) return body;
    TypingEvent want{cookie_of(f), u16(f, "icbm_channel"), str(f.at("screen_name")),
                     u16(f, "event")};
    EXPECT_EQ(*t, want);
    EXPECT_EQ(t->state, typing::begun);
    EXPECT_TRUE(append_typing_event(body, want).ok());
  } else if (s.is(family::oservice, oservice::client_online)) {
    auto v = parse_client_online(s.body);
    EXPECT_TRUE(v.ok()) << name;
    std::vector<ClientOnlineEntry> want;
    for (const auto& e : f.at("versions").as_array()) {
      const auto& a = e.as_array();
      want.push_back({static_cast<std::uint16_t>(num(a[0])), static_cast<std::uint16_t>(num(a[1])),
                      static_cast<std::uint16_t>(num(a[2])),
                      static_cast<std::uint16_t>(num(a[3]))});
    }
    if (v.ok()) {
      EXPECT_EQ(*v, want);
    }
    append_client_online(body, want);
  } else {
    ADD_FAILURE() << name << ": no decoder for this family/subtype in the vector test";
  }
  return body;
}

TEST(OscarVectors, EveryVectorChecked) {
  const auto root = load();
  const auto& vectors = root.at("vectors").as_array();
  ASSERT_GE(vectors.size(), 11u);
  std::size_t checked = 0;
  for (const auto& vv : vectors) {
    const auto& v = vv.as_object();
    const std::string name = str(v.at("name"));
    const std::string kind = str(v.at("kind"));
    const std::string want = str(v.at("hex"));
    SCOPED_TRACE(name);
    if (kind == "bucp-hash") {
      const auto& in = v.at("inputs").as_object();
      const std::string rule = str(v.at("rule"));
      const bool strong = rule.find("md5(password)") != std::string::npos;
      auto h = strong ? bucp_strong_hash(str(in.at("authkey")), str(in.at("password")))
                      : bucp_weak_hash(str(in.at("authkey")), str(in.at("password")));
      ASSERT_TRUE(h.ok());
      EXPECT_EQ(to_hex(*h), want);
    } else if (kind == "roast") {
      const auto pw = str(v.at("inputs").as_object().at("password"));
      EXPECT_EQ(to_hex(roast_password(pw)), want);
      // Roasting twice gives the password back.
      const auto r = roast_password(pw);
      EXPECT_EQ(to_string(roast_password(std::string(r.begin(), r.end()))), pw);
    } else if (kind == "flap" || kind == "flap+snac") {
      const auto& f = v.at("fields").as_object();
      const auto bytes = hex(want);
      auto frame = decode_flap(bytes);
      ASSERT_TRUE(frame.ok()) << frame.error().message;
      EXPECT_EQ(frame->channel, num(f.at("channel")));
      EXPECT_EQ(frame->sequence, num(f.at("sequence")));
      Bytes payload;
      if (kind == "flap") {
        EXPECT_EQ(to_hex(frame->payload), str(f.at("payload")));
        payload = hex(str(f.at("payload")));
        if (frame->channel == channel::login) {
          auto hello = parse_hello(frame->payload);
          ASSERT_TRUE(hello.ok());
          EXPECT_EQ(hello->version, kFlapVersion);
          Bytes again;
          ASSERT_TRUE(append_hello(again).ok());
          EXPECT_EQ(again, payload);
        }
      } else {
        auto snac = parse_snac(frame->payload);
        ASSERT_TRUE(snac.ok()) << snac.error().message;
        SnacHeader h{u16(f, "family"), u16(f, "subtype"),
                     static_cast<std::uint16_t>(f.contains("flags") ? num(f.at("flags")) : 0),
                     static_cast<std::uint32_t>(num(f.at("request_id")))};
        EXPECT_EQ(snac->header, h);
        EXPECT_TRUE(snac->prefix.empty());
        const Bytes body = check_snac_body(name, *snac, f);
        EXPECT_EQ(to_hex(body), to_hex(snac->body));
        ASSERT_TRUE(append_snac(payload, h, body).ok());
      }
      Bytes out;
      ASSERT_TRUE(append_flap(out, static_cast<std::uint8_t>(num(f.at("channel"))),
                              static_cast<std::uint16_t>(num(f.at("sequence"))), payload)
                      .ok());
      EXPECT_EQ(to_hex(out), want);
    } else {
      ADD_FAILURE() << "unknown vector kind " << kind;
      continue;
    }
    ++checked;
  }
  EXPECT_EQ(checked, vectors.size());
}

// The hard-coded copy used by the other test files must match the vector file.
TEST(OscarVectors, HardCodedFramesMatchTheFile) {
  const auto root = load();
  std::vector<std::string> frames;
  for (const auto& vv : root.at("vectors").as_array()) {
    const auto kind = str(vv.at("kind"));
    if (kind == "flap" || kind == "flap+snac") frames.push_back(str(vv.at("hex")));
  }
  ASSERT_EQ(frames.size(), std::size(test::kVectorFrames));
  for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(test::kVectorFrames[i], frames[i]);
}

}  // namespace
}  // namespace passerelle::oscar
