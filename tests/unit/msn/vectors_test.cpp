// The codec held to tests/vectors/msnp.json: MSNP8 and MSNP12 exchanges captured from the
// Escargot revival server. Every exact line decodes to one command and re-encodes to the
// same bytes; every direction's stream decodes the same when split at any offset; lines
// that the capture gives as regular expressions are built by the codec and matched.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "msn/codec/challenge.hpp"
#include "msn/codec/decoder.hpp"
#include "msn/codec/mime.hpp"
#include "msn/codec/names.hpp"
#include "msn/codec/passport.hpp"

namespace passerelle::msn {
namespace {

namespace json = boost::json;

struct Step {
  std::string transcript;
  std::string who;  // "" or "A-sb", "B-ns", ...
  std::string dir;  // "client" / "server"
  int version = 12;
  std::optional<std::string> data;
  std::optional<std::string> match;
};

std::vector<Step> load_steps() {
  std::ifstream f(std::string(PASSERELLE_VECTORS_DIR) + "/msnp.json", std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const json::value doc = json::parse(ss.str());
  std::vector<Step> out;
  for (const auto& t : doc.at("transcripts").as_array()) {
    const std::string name(t.at("name").as_string());
    const int version = name.find("msnp8") != std::string::npos ? 8 : 12;
    for (const auto& s : t.at("steps").as_array()) {
      const auto& o = s.as_object();
      const std::string dir(o.at("dir").as_string());
      if (dir != "client" && dir != "server") continue;  // notes and HTTP
      Step st{name, "", dir, version, std::nullopt, std::nullopt};
      if (auto* w = o.if_contains("who")) st.who = std::string(w->as_string());
      if (auto* d = o.if_contains("data")) st.data = std::string(d->as_string());
      if (auto* m = o.if_contains("match")) st.match = std::string(m->as_string());
      out.push_back(std::move(st));
    }
  }
  return out;
}

Grammar grammar_for(const Step& s) {
  return s.dir == "server" ? Grammar::server(s.version) : Grammar::client(s.version);
}

// Decodes `chunks` in order; fails the test on an error.
std::vector<Command> decode_all(const Grammar& g, const std::vector<std::string_view>& chunks) {
  Decoder d(g);
  std::vector<Command> out;
  for (auto in : chunks) {
    while (!in.empty()) {
      auto step = d.decode(in);
      in.remove_prefix(step.consumed);
      if (auto* c = std::get_if<Command>(&step.outcome)) out.push_back(std::move(*c));
      if (auto* e = std::get_if<DecodeError>(&step.outcome)) {
        ADD_FAILURE() << decode_errc_name(e->code) << ": " << e->message;
        return out;
      }
    }
  }
  EXPECT_EQ(d.buffered(), 0u);
  return out;
}

TEST(MsnVectors, FileHasBothVersionsAndDirections) {
  auto steps = load_steps();
  int exact = 0, matched = 0;
  for (const auto& s : steps) (s.data ? exact : matched) += 1;
  EXPECT_GE(exact, 40);
  EXPECT_GE(matched, 10);
}

TEST(MsnVectors, EveryExactLineDecodesAndReencodesByteForByte) {
  for (const auto& s : load_steps()) {
    if (!s.data) continue;
    SCOPED_TRACE(s.transcript + " " + s.who + " " + s.dir + ": " + *s.data);
    auto cmds = decode_all(grammar_for(s), {*s.data});
    ASSERT_EQ(cmds.size(), 1u);
    const Command& c = cmds[0];
    auto again = encode(c);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again.value(), *s.data);
    if (c.payload) {
      // The count on the line is the payload's size in bytes.
      const auto eol = s.data->find("\r\n");
      const auto sp = s.data->rfind(' ', eol);
      EXPECT_EQ(std::to_string(c.payload->size()), s.data->substr(sp + 1, eol - sp - 1));
      EXPECT_EQ(s.data->size(), eol + 2 + c.payload->size());
    }
  }
}

// Each connection's bytes in one direction, in order.
std::map<std::string, std::pair<Grammar, std::string>> streams() {
  std::map<std::string, std::pair<Grammar, std::string>> out;
  for (const auto& s : load_steps()) {
    if (!s.data) continue;
    const std::string key = s.transcript + "/" + s.who + "/" + s.dir;
    auto it = out.try_emplace(key, grammar_for(s), std::string{}).first;
    it->second.second += *s.data;
  }
  return out;
}

TEST(MsnVectors, WholeStreamSplitAtEveryOffsetGivesSameCommands) {
  for (const auto& [key, gs] : streams()) {
    SCOPED_TRACE(key);
    const auto& [g, bytes] = gs;
    const auto expected = decode_all(g, {bytes});
    ASSERT_FALSE(expected.empty());
    for (std::size_t i = 0; i <= bytes.size(); ++i) {
      const std::string_view all(bytes);
      ASSERT_EQ(decode_all(g, {all.substr(0, i), all.substr(i)}), expected) << "split at " << i;
    }
    std::vector<std::string_view> singles;
    for (std::size_t i = 0; i < bytes.size(); ++i)
      singles.push_back(std::string_view(bytes).substr(i, 1));
    EXPECT_EQ(decode_all(g, singles), expected);
  }
}

const Step* find_step(const std::vector<Step>& steps, std::string_view prefix, std::string_view dir,
                      std::string_view who = "") {
  for (const auto& s : steps) {
    if (s.data && s.dir == dir && s.who == who && s.data->rfind(prefix, 0) == 0) return &s;
  }
  return nullptr;
}

TEST(MsnVectors, SwitchboardPayloadsAreWhatTheBuildersWrite) {
  const auto steps = load_steps();
  const Step* typing = find_step(steps, "MSG 3 U", "client", "A-sb");
  const Step* text = find_step(steps, "MSG 4 A", "client", "A-sb");
  ASSERT_TRUE(typing && text);

  auto out = encode(make_msg(3, AckMode::unacked, build_typing("t1e@example.com")));
  EXPECT_EQ(out.value(), *typing->data);
  TextFormat f;
  f.font = "Arial";
  f.pitch_family = 0x22;
  out = encode(make_msg(4, AckMode::acked, build_text("Hello from A", f)));
  EXPECT_EQ(out.value(), *text->data);

  // And what the other side receives parses back to the same meaning.
  const Step* rx = find_step(steps, "MSG t1e@example.com T1e 125", "server", "B-sb");
  ASSERT_TRUE(rx);
  auto cmds = decode_all(Grammar::server(12), {*rx->data});
  auto msg = parse_message(*cmds.at(0).payload);
  ASSERT_TRUE(msg.ok());
  const auto* t = std::get_if<Text>(&msg.value());
  ASSERT_TRUE(t);
  EXPECT_EQ(t->body, "Hello from A");
  EXPECT_EQ(t->format, f);
  EXPECT_EQ(t->charset, "UTF-8");

  const Step* rx_typing = find_step(steps, "MSG t1e@example.com T1e 88", "server", "B-sb");
  ASSERT_TRUE(rx_typing);
  cmds = decode_all(Grammar::server(12), {*rx_typing->data});
  msg = parse_message(*cmds.at(0).payload);
  ASSERT_TRUE(msg.ok());
  ASSERT_TRUE(std::holds_alternative<Typing>(msg.value()));
  EXPECT_EQ(std::get<Typing>(msg.value()).user, "t1e@example.com");
}

TEST(MsnVectors, PresenceLinesParse) {
  const auto steps = load_steps();
  const Step* ubx = find_step(steps, "UBX", "server");
  ASSERT_TRUE(ubx);
  auto cmds = decode_all(Grammar::server(12), {*ubx->data});
  auto pm = parse_personal_message(*cmds.at(0).payload);
  ASSERT_TRUE(pm.ok());
  EXPECT_EQ(pm.value(), PersonalMessage{});
  EXPECT_EQ(build_personal_message(PersonalMessage{}), *cmds[0].payload);

  const Step* iln = find_step(steps, "ILN", "server");
  ASSERT_TRUE(iln);
  cmds = decode_all(Grammar::server(12), {*iln->data});
  const Command& c = cmds.at(0);
  EXPECT_EQ(c.trid, 6u);
  EXPECT_EQ(parse_status(c.arg(0)), Status::online);
  EXPECT_EQ(c.arg(1), "t1e@example.com");
  EXPECT_EQ(url_decode(c.arg(2)), "T1e");
  EXPECT_EQ(parse_caps(c.arg(3)), 0u);
  EXPECT_EQ(url_decode(c.arg(4)), "<msnobj/>");

  const Step* lst = find_step(steps, "LST N=t3e", "server");
  ASSERT_TRUE(lst);
  cmds = decode_all(Grammar::server(12), {*lst->data});
  EXPECT_EQ(cmds.at(0).arg(2), "8");
  EXPECT_EQ(std::stoul(cmds[0].arg(2)), list::reverse);
}

const std::string kChallenge =
    "lc=1033,id=507,tw=40,fs=1,ru=http%3A%2F%2Fmessenger%2Emsn%2Ecom,ct=1062764229,kpp=1,"
    "kv=5,ver=2.1.0173.1,tpf=43f8a4c8ed940c04e3740be46c4d1619";

// One line per "match" step, built by the codec the way a server would write it.
std::optional<Command> sample_for(const Step& s) {
  const std::string& m = *s.match;
  auto cmd = [](std::string verb, std::optional<std::uint32_t> trid,
                std::vector<std::string> args) {
    return Command{verb, trid, args, std::nullopt};
  };
  if (m.rfind("^CVR 2", 0) == 0)
    return cmd(
        "CVR", 2,
        {"7.5.0324", "7.5.0324", "7.0.0425", "http://example.com/msn.exe", "http://example.com/"});
  if (m.rfind("^USR 3 TWN S", 0) == 0) return cmd("USR", 3, {"TWN", "S", kChallenge});
  if (m.rfind("^MSG Hotmail Hotmail", 0) == 0) {
    Command c = cmd("MSG", std::nullopt, {"Hotmail", "Hotmail"});
    c.payload =
        "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\n"
        "LoginTime: 1700000000\r\nMemberIdHigh: 0\r\nMemberIdLow: 1\r\nMSPAuth: t=abc\r\n"
        "ClientIP: 127.0.0.1\r\nClientPort: 40000\r\nABCHMigrated: 1\r\nMPOPEnabled: 0\r\n\r\n";
    return c;
  }
  if (m.rfind("^SYN 5 \\S+", 0) == 0)
    return cmd("SYN", 5,
               {"2026-11-23T20:00:00.000-00:00", "2026-11-23T20:00:00.000-00:00", "2", "1"});
  if (m.rfind("^SYN 5 \\d+", 0) == 0) return cmd("SYN", 5, {"12", "1", "1"});
  if (m.rfind("^LSG U1G1", 0) == 0)
    return cmd("LSG", std::nullopt, {"U1G1", "0b9c1e3a-6f5d-4b7e-9a2c-1d2e3f4a5b6c"});
  if (m.rfind("^LST N=t1e", 0) == 0)
    return cmd("LST", std::nullopt,
               {"N=t1e@example.com", "F=T1e", "C=11111111-2222-3333-4444-555555555555", "3", "1",
                "0b9c1e3a-6f5d-4b7e-9a2c-1d2e3f4a5b6c"});
  if (m.rfind("^XFR 7 SB", 0) == 0)
    return cmd("XFR", 7, {"SB", "127.0.0.1:1864", "CKI", "17262740.1050826919.32308"});
  if (m.rfind("^CAL 2 RINGING", 0) == 0) return cmd("CAL", 2, {"RINGING", "17342299"});
  if (m.rfind("^RNG", 0) == 0)
    return cmd(
        "RNG", std::nullopt,
        {"17342299", "127.0.0.1:1864", "CKI", "849102291.520491113", "t1e@example.com", "T1e"});
  if (m.rfind("^LSG 0 Other", 0) == 0)
    return cmd("LSG", std::nullopt, {"0", url_encode("Other Contacts"), "0"});
  if (m.rfind("^QNG", 0) == 0) return cmd("QNG", std::nullopt, {"50"});
  return std::nullopt;
}

TEST(MsnVectors, LinesGivenAsPatternsAreBuiltAndDecoded) {
  const std::string& challenge = kChallenge;
  for (const auto& s : load_steps()) {
    if (!s.match) continue;
    SCOPED_TRACE(s.transcript + ": " + *s.match);
    auto sample = sample_for(s);
    ASSERT_TRUE(sample) << "no sample line for this pattern";
    auto bytes = encode(*sample);
    ASSERT_TRUE(bytes.ok());
    const auto eol = bytes.value().find("\r\n") + 2;
    EXPECT_TRUE(std::regex_match(bytes.value().substr(0, eol), std::regex(*s.match)))
        << bytes.value().substr(0, eol);
    auto cmds = decode_all(grammar_for(s), {bytes.value()});
    ASSERT_EQ(cmds.size(), 1u);
    EXPECT_EQ(cmds[0], *sample);
    if (cmds[0].verb == "USR") {
      EXPECT_EQ(parse_twn_challenge(cmds[0]).value(), challenge);
    }
    if (cmds[0].verb == "MSG") {
      auto msg = parse_message(*cmds[0].payload);
      ASSERT_TRUE(msg.ok());
      const auto* p = std::get_if<Profile>(&msg.value());
      ASSERT_TRUE(p);
      ASSERT_TRUE(p->field("MSPAuth"));
      EXPECT_EQ(*p->field("MSPAuth"), "t=abc");
    }
  }
}

TEST(MsnVectors, TweenerAuthorizationForTheCapturedLogin) {
  const std::string& challenge = kChallenge;
  const std::string h = passport_authorization("t1e@example.com", "123456", challenge);
  EXPECT_EQ(h,
            "Passport1.4 OrgVerb=GET,OrgURL=http%3A%2F%2Fmessenger%2Emsn%2Ecom,"
            "sign-in=t1e%40example.com,pwd=123456," +
                challenge);
  const auto client_usr = make_usr_twn_initial(3, "t1e@example.com");
  const auto steps = load_steps();
  const Step* usr = find_step(steps, "USR 3 TWN I", "client");
  ASSERT_TRUE(usr);
  EXPECT_EQ(encode(client_usr).value(), *usr->data);
  EXPECT_EQ(encode(make_usr_twn_subsequent(4, "<ticket>")).value(),
            *find_step(steps, "USR 4 TWN S", "client")->data);
}

}  // namespace
}  // namespace passerelle::msn
