#include "msn/codec/command.hpp"

#include <gtest/gtest.h>

namespace passerelle::msn {
namespace {

Command parse(std::string_view line, const Grammar& g, std::size_t* len = nullptr) {
  std::size_t n = 0;
  auto r = parse_line(line, g, Limits{}, &n);
  EXPECT_TRUE(r.ok()) << line << ": " << (r.ok() ? "" : r.error().message);
  if (len) *len = n;
  return r.ok() ? r.value() : Command{};
}

TEST(MsnCommand, TridDetectedForGenericVerbs) {
  auto c = parse("VER 1 MSNP12 CVR0", Grammar::server(12));
  EXPECT_EQ(c.verb, "VER");
  EXPECT_EQ(c.trid, 1u);
  EXPECT_EQ(c.args, (std::vector<std::string>{"MSNP12", "CVR0"}));
  EXPECT_FALSE(c.payload);
}

TEST(MsnCommand, ServerPushVerbsNeverHaveTrid) {
  auto g = Grammar::server(8);
  EXPECT_FALSE(parse("QNG 50", g).trid);
  EXPECT_EQ(parse("QNG 50", g).args, std::vector<std::string>{"50"});
  EXPECT_FALSE(parse("LSG 0 Other%20Contacts 0", g).trid);
  EXPECT_FALSE(parse("RNG 11752013 127.0.0.1:1864 CKI 8.1 a@b.c A", g).trid);
  EXPECT_EQ(parse("CHL 0 15570131571988941333", g).trid, 0u);
}

TEST(MsnCommand, ErrorVerb) {
  auto c = parse("217 3", Grammar::server(12));
  EXPECT_TRUE(c.is_error());
  EXPECT_EQ(c.error_code(), 217);
  EXPECT_EQ(c.trid, 3u);
  EXPECT_FALSE(parse("MSG 1 U 0", Grammar::client(12)).is_error());
}

TEST(MsnCommand, PayloadLengthIsLastArgumentAndRemovedFromArgs) {
  std::size_t n = 0;
  auto c = parse("MSG t1e@example.com T1e 125", Grammar::server(12), &n);
  EXPECT_FALSE(c.trid);
  EXPECT_EQ(c.args, (std::vector<std::string>{"t1e@example.com", "T1e"}));
  ASSERT_TRUE(c.payload);
  EXPECT_EQ(n, 125u);
  auto q = parse("QRY 10 PROD0090YUAUV{2B 32", Grammar::client(12), &n);
  EXPECT_EQ(q.trid, 10u);
  EXPECT_EQ(n, 32u);
  EXPECT_EQ(q.args, std::vector<std::string>{"PROD0090YUAUV{2B"});
}

TEST(MsnCommand, PayloadVerbsDependOnDirectionAndVersion) {
  std::size_t n = 0;
  // UBX carries a personal message from MSNP11 on; before that it is just unknown.
  EXPECT_TRUE(parse("UBX a@b.c 10", Grammar::server(11), &n).payload);
  EXPECT_FALSE(parse("UBX a@b.c 10", Grammar::server(8), &n).payload);
  // QRY from the client has a payload; the server's answer "QRY 10" does not.
  EXPECT_FALSE(parse("QRY 10", Grammar::server(12), &n).payload);
  // UUX answered by the server: "UUX trid 0" is an empty payload.
  auto u = parse("UUX 10 0", Grammar::server(12), &n);
  ASSERT_TRUE(u.payload);
  EXPECT_EQ(n, 0u);
  // ADL from a MSNP13 server: with a count a payload, "ADL 7 OK" an answer.
  EXPECT_TRUE(parse("ADL 0 87", Grammar::server(13), &n).payload);
  EXPECT_FALSE(parse("ADL 7 OK", Grammar::server(13), &n).payload);
}

TEST(MsnCommand, EmptyArgumentsKeptForExactReencoding) {
  const std::string line = "LST N=t3e@example.com F=T3e 8 1 ";
  auto c = parse(line, Grammar::server(12));
  EXPECT_EQ(c.args.back(), "");
  auto out = encode(c);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value(), line + "\r\n");
}

TEST(MsnCommand, TridMustBeCanonical) {
  EXPECT_EQ(parse_trid("0"), 0u);
  EXPECT_EQ(parse_trid("4294967295"), 4294967295u);
  EXPECT_FALSE(parse_trid("4294967296"));
  EXPECT_FALSE(parse_trid("01"));
  EXPECT_FALSE(parse_trid("-1"));
  EXPECT_FALSE(parse_trid("0x1"));
  EXPECT_FALSE(parse_trid(""));
}

TEST(MsnCommand, BadPayloadCounts) {
  const auto g = Grammar::client(12);
  for (const char* line : {"MSG 1 A -5", "MSG 1 A 0x10", "MSG 1 A +5", "MSG 1 A 1e3", "MSG 1 A",
                           "MSG 1 A 12345678901", "MSG 1"}) {
    std::size_t n = 0;
    DecodeErrc why{};
    auto r = parse_line(line, g, Limits{}, &n, &why);
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_TRUE(why == DecodeErrc::bad_payload_length || why == DecodeErrc::payload_too_large)
        << line;
  }
  std::size_t n = 0;
  DecodeErrc why{};
  auto r = parse_line("MSG 1 A 65537", g, Limits{}, &n, &why);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(why, DecodeErrc::payload_too_large);
  EXPECT_EQ(r.error().code, Errc::limit_exceeded);
}

TEST(MsnCommand, BadVerbs) {
  for (const char* line : {"msg 1 A 3", "MS", "MSGX 1", "M\xC3\xA9G 1", "MS1 2", " VER 1"}) {
    std::size_t n = 0;
    DecodeErrc why{};
    EXPECT_FALSE(parse_line(line, Grammar::server(12), Limits{}, &n, &why).ok()) << line;
    EXPECT_EQ(why, DecodeErrc::bad_verb) << line;
  }
}

TEST(MsnCommand, TooManyArguments) {
  std::string line = "ABC";
  for (int i = 0; i < 70; ++i) line += " x";
  std::size_t n = 0;
  DecodeErrc why{};
  EXPECT_FALSE(parse_line(line, Grammar::server(12), Limits{}, &n, &why).ok());
  EXPECT_EQ(why, DecodeErrc::too_many_args);
}

TEST(MsnCommand, EncodeWritesCountAndPayloadBytes) {
  auto c = make_msg(4, AckMode::acked, "h\xC3\xA9");  // 3 bytes, 2 characters
  auto out = encode(c);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value(), "MSG 4 A 3\r\nh\xC3\xA9");
  Command png{"PNG", std::nullopt, {}, std::nullopt};
  EXPECT_EQ(encode(png).value(), "PNG\r\n");
}

TEST(MsnCommand, EncodeRefusesWhatWouldBreakFraming) {
  std::string out = "keep";
  EXPECT_FALSE(encode(Command{"MSG", 1, {"a b"}, std::nullopt}, out).ok());
  EXPECT_FALSE(encode(Command{"MSG", 1, {"a\r\nOUT"}, std::nullopt}, out).ok());
  EXPECT_FALSE(encode(Command{"msg", 1, {}, std::nullopt}, out).ok());
  EXPECT_FALSE(encode(Command{"MSG", 1, {"U"}, std::string(70000, 'x')}, out).ok());
  Limits small;
  small.max_line = 10;
  EXPECT_FALSE(encode(Command{"USR", 1, {"TWN", "I", "someone@example.com"}, {}}, out, small).ok());
  EXPECT_EQ(out, "keep");
}

TEST(MsnCommand, GrammarTableIsWellFormed) {
  for (const auto& r : Grammar::rules()) {
    EXPECT_TRUE(is_valid_verb(std::string_view(r.verb, 3))) << r.verb;
    EXPECT_EQ(r.verb[3], '\0');
    EXPECT_LE(r.min_version, r.max_version);
  }
}

}  // namespace
}  // namespace passerelle::msn
