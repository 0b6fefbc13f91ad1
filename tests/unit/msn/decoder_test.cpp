#include "msn/codec/decoder.hpp"

#include <gtest/gtest.h>

namespace passerelle::msn {
namespace {

struct Fed {
  std::vector<Command> commands;
  std::optional<DecodeError> error;
};

Fed feed(Decoder& d, std::vector<std::string_view> chunks) {
  Fed out;
  for (auto in : chunks) {
    while (!in.empty()) {
      auto step = d.decode(in);
      EXPECT_LE(step.consumed, in.size());
      in.remove_prefix(step.consumed);
      if (auto* c = std::get_if<Command>(&step.outcome)) out.commands.push_back(std::move(*c));
      if (auto* e = std::get_if<DecodeError>(&step.outcome)) {
        out.error = *e;
        return out;
      }
      EXPECT_LE(d.buffered(), d.limits().max_line + 2 + d.limits().max_payload);
    }
  }
  return out;
}

DecodeErrc error_of(std::string_view bytes, Grammar g = Grammar::server(12), Limits l = {}) {
  Decoder d(g, l);
  auto f = feed(d, {bytes});
  EXPECT_TRUE(f.error) << bytes;
  return f.error ? f.error->code : DecodeErrc::bad_verb;
}

TEST(MsnDecoder, LinesAndPayloadsInOneBuffer) {
  Decoder d(Grammar::server(12));
  auto f = feed(d, {"CHG 6 NLN 0\r\nUBX a@b.c 3\r\nxyzFLN a@b.c\r\n"});
  ASSERT_FALSE(f.error);
  ASSERT_EQ(f.commands.size(), 3u);
  EXPECT_EQ(f.commands[1].payload, "xyz");
  EXPECT_EQ(f.commands[2].verb, "FLN");
  EXPECT_EQ(d.buffered(), 0u);
}

// A client payload command is "MSG trid ack-mode count": a single number is refused
// whatever it looks like, so that no decoded command re-encodes into something else
// ("MSG 018" as a count would re-encode as "MSG 18", a trid without a count).
TEST(MsnDecoder, ALonePayloadNumberIsRefused) {
  for (std::string_view line : {"MSG 018\r\n", "MSG 18\r\n"}) {
    std::string bytes(line);
    bytes += std::string(18, 'x');
    EXPECT_EQ(error_of(bytes, Grammar(Direction::from_client, 12)), DecodeErrc::bad_payload_length)
        << line;
  }
}

TEST(MsnDecoder, PayloadMayHoldCrLfAndLookLikeCommands) {
  Decoder d(Grammar::server(12));
  auto f = feed(d, {"MSG a@b.c A 14\r\nOUT\r\n217 1\r\n\r\nPNG\r\n"});
  ASSERT_FALSE(f.error);
  ASSERT_EQ(f.commands.size(), 2u);
  EXPECT_EQ(f.commands[0].payload, "OUT\r\n217 1\r\n\r\n");
  EXPECT_EQ(f.commands[1].verb, "PNG");
}

TEST(MsnDecoder, ZeroLengthPayload) {
  Decoder d(Grammar::server(12));
  auto f = feed(d, {"UUX 10 0\r\nQNG\r\n"});
  ASSERT_EQ(f.commands.size(), 2u);
  EXPECT_EQ(f.commands[0].payload, "");
}

TEST(MsnDecoder, TruncatedPayloadWaits) {
  Decoder d(Grammar::server(12));
  auto f = feed(d, {"MSG a@b.c A 10\r\nabc"});
  EXPECT_FALSE(f.error);
  EXPECT_TRUE(f.commands.empty());
  EXPECT_EQ(d.buffered(), 3u);
  auto g = feed(d, {"defghij", "NLN"});
  ASSERT_EQ(g.commands.size(), 1u);
  EXPECT_EQ(g.commands[0].payload, "abcdefghij");
}

TEST(MsnDecoder, WrongByteCountShiftsIntoAnError) {
  // A count one too large swallows the next line's first byte; the rest is not a verb.
  EXPECT_EQ(error_of("UBX a@b.c 4\r\nabcQNG 5\r\n"), DecodeErrc::bad_verb);
  // One too small leaves a byte that starts a line that is no command.
  EXPECT_EQ(error_of("UBX a@b.c 2\r\nabcQNG 5\r\n"), DecodeErrc::bad_verb);
}

TEST(MsnDecoder, UnknownCommandsAreGeneric) {
  Decoder d(Grammar::server(12));
  auto f = feed(d, {"ZZZ 5 a b\r\nXYZ\r\n999 7\r\n"});
  ASSERT_FALSE(f.error);
  ASSERT_EQ(f.commands.size(), 3u);
  EXPECT_EQ(f.commands[0].trid, 5u);
  EXPECT_EQ(f.commands[2].error_code(), 999);
}

TEST(MsnDecoder, AbsurdLengthIsRefusedWithoutAllocating) {
  Decoder d(Grammar::server(12));
  auto f = feed(d, {"MSG a@b.c A 4294967295\r\n"});
  ASSERT_TRUE(f.error);
  EXPECT_EQ(f.error->code, DecodeErrc::payload_too_large);
  EXPECT_EQ(d.buffered(), 0u);
  EXPECT_EQ(error_of("MSG a@b.c A 99999999999999999999\r\n"), DecodeErrc::bad_payload_length);
}

TEST(MsnDecoder, LargeAnnouncedCountOnlyBuffersWhatArrives) {
  Decoder d(Grammar::server(12));
  auto f = feed(d, {"MSG a@b.c A 65536\r\nabc"});
  EXPECT_FALSE(f.error);
  EXPECT_EQ(d.buffered(), 3u);
}

TEST(MsnDecoder, NegativeAndHexCounts) {
  EXPECT_EQ(error_of("MSG a@b.c A -1\r\n"), DecodeErrc::bad_payload_length);
  EXPECT_EQ(error_of("MSG a@b.c A 0x20\r\n"), DecodeErrc::bad_payload_length);
  EXPECT_EQ(error_of("MSG a@b.c A\r\n"), DecodeErrc::bad_payload_length);
}

TEST(MsnDecoder, OverlongLineFailsAtTheLimitNotLater) {
  Limits l;
  l.max_line = 32;
  Decoder d(Grammar::server(12), l);
  std::string big = "ABC " + std::string(100, 'x');
  auto f = feed(d, {std::string_view(big).substr(0, 20), std::string_view(big).substr(20)});
  ASSERT_TRUE(f.error);
  EXPECT_EQ(f.error->code, DecodeErrc::line_too_long);
  EXPECT_LE(d.buffered(), 34u);
  // Exactly at the limit is fine.
  Decoder ok(Grammar::server(12), l);
  std::string exact = "ABC " + std::string(28, 'x') + "\r\n";
  auto g = feed(ok, {exact});
  EXPECT_FALSE(g.error);
  EXPECT_EQ(g.commands.size(), 1u);
  Decoder over(Grammar::server(12), l);
  std::string one_more = "ABC " + std::string(29, 'x') + "\r\n";
  EXPECT_TRUE(feed(over, {one_more}).error);
}

TEST(MsnDecoder, CrWithoutLfAndLfWithoutCr) {
  EXPECT_EQ(error_of("VER 1 MSNP12\rCVR0\r\n"), DecodeErrc::bare_cr);
  EXPECT_EQ(error_of("VER 1 MSNP12\rX"), DecodeErrc::bare_cr);
  EXPECT_EQ(error_of("VER 1 MSNP12\n"), DecodeErrc::bare_lf);
  EXPECT_EQ(error_of("\r\n"), DecodeErrc::empty_line);
  EXPECT_EQ(error_of("\xff\xfe\xfd 1\r\n"), DecodeErrc::bad_verb);
}

TEST(MsnDecoder, ErrorsAreStickyUntilReset) {
  Decoder d(Grammar::server(12));
  auto step = d.decode("\r\n");
  ASSERT_TRUE(std::holds_alternative<DecodeError>(step.outcome));
  auto again = d.decode("VER 1 MSNP12\r\n");
  EXPECT_EQ(again.consumed, 0u);
  EXPECT_TRUE(std::holds_alternative<DecodeError>(again.outcome));
  d.reset();
  auto ok = d.decode("VER 1 MSNP12\r\n");
  EXPECT_TRUE(std::holds_alternative<Command>(ok.outcome));
}

TEST(MsnDecoder, CrLfSplitAcrossChunks) {
  Decoder d(Grammar::server(12));
  auto f = feed(d, {"OUT\r", "\nOUT", "\r", "\n"});
  ASSERT_FALSE(f.error);
  EXPECT_EQ(f.commands.size(), 2u);
}

TEST(MsnDecoder, GrammarSwitchAfterVer) {
  Decoder d(Grammar::server(8));
  auto f = feed(d, {"UBX a@b.c 2\r\n"});
  ASSERT_EQ(f.commands.size(), 1u);
  EXPECT_FALSE(f.commands[0].payload);  // MSNP8: UBX is no payload command
  d.set_grammar(Grammar::server(12));
  auto g = feed(d, {"UBX a@b.c 2\r\nxy"});
  ASSERT_EQ(g.commands.size(), 1u);
  EXPECT_EQ(g.commands[0].payload, "xy");
}

}  // namespace
}  // namespace passerelle::msn
