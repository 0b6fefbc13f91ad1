#include <gtest/gtest.h>

#include "smpp/codec/gsm0338.hpp"
#include "smpp/codec/segmenter.hpp"
#include "smpp/codec/udh.hpp"

namespace passerelle::smpp {
namespace {

TEST(Udh, BuildAndParse8And16BitRefs) {
  std::string u;
  append_concat_udh(u, Concat{0xAB, 3, 2, RefSize::bits8});
  EXPECT_EQ(u, std::string("\x05\x00\x03\xAB\x03\x02", 6));
  auto p = parse_udh(u + "data");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size, 6u);
  EXPECT_EQ(p->concat, (Concat{0xAB, 3, 2, RefSize::bits8}));

  u.clear();
  append_concat_udh(u, Concat{0x1234, 2, 1, RefSize::bits16});
  EXPECT_EQ(u, std::string("\x06\x08\x04\x12\x34\x02\x01", 7));
  p = parse_udh(u);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->concat, (Concat{0x1234, 2, 1, RefSize::bits16}));
}

TEST(Udh, SkipsOtherIesAndIgnoresBadConcat) {
  // Port addressing IE (0x05, 4 octets) then an 8-bit concat IE.
  auto p = parse_udh(std::string("\x0B\x05\x04\x0B\x84\x23\xF0\x00\x03\x07\x02\x01xx", 14));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size, 12u);
  EXPECT_EQ(p->concat, (Concat{7, 2, 1, RefSize::bits8}));
  // seq 0 and seq > total are ignored (23.040 §9.2.3.24.1).
  EXPECT_FALSE(parse_udh(std::string("\x05\x00\x03\x01\x02\x00", 6))->concat);
  EXPECT_FALSE(parse_udh(std::string("\x05\x00\x03\x01\x02\x03", 6))->concat);
  // Concat IE with a wrong length is skipped like an unknown IE.
  EXPECT_FALSE(parse_udh(std::string("\x04\x00\x02\x01\x02", 5))->concat);
}

TEST(Udh, MalformedIsTypedError) {
  EXPECT_FALSE(parse_udh("").ok());
  EXPECT_FALSE(parse_udh(std::string("\x05\x00\x03", 3)).ok());      // UDHL past the data
  EXPECT_FALSE(parse_udh(std::string("\x03\x00\x05\x01", 4)).ok());  // IE past UDHL
  EXPECT_FALSE(parse_udh(std::string("\x01\x00", 2)).ok());          // IE header cut
  EXPECT_EQ(parse_udh(std::string("\x00", 1))->size, 1u);            // empty UDH is fine
}

TEST(Segmenter, GsmCounts) {
  EXPECT_EQ(count_segments(std::string(160, 'a'))->segments, 1u);
  EXPECT_EQ(count_segments(std::string(161, 'a'))->segments, 2u);
  EXPECT_EQ(count_segments(std::string(306, 'a'))->segments, 2u);
  EXPECT_EQ(count_segments(std::string(307, 'a'))->segments, 3u);
  EXPECT_EQ(count_segments(std::string(400, 'a'))->segments, 3u);
  EXPECT_EQ(count_segments("")->segments, 1u);
  auto c = count_segments(std::string(80, 'x') + std::string(40, '{'));
  EXPECT_EQ(c->encoding, SmsEncoding::gsm7);
  EXPECT_EQ(c->units, 160u);  // 80 + 40 * 2
  EXPECT_EQ(c->segments, 1u);
  EXPECT_EQ(count_segments(std::string(160, 'a'), RefSize::bits16)->segments, 1u);
  EXPECT_EQ(count_segments(std::string(305, 'a'), RefSize::bits16)->segments, 3u);  // 152 + 152 + 1
}

TEST(Segmenter, Ucs2Counts) {
  std::string s70, s71;
  for (int i = 0; i < 70; ++i) s70 += "ж";
  s71 = s70 + "ж";
  EXPECT_EQ(count_segments(s70)->segments, 1u);
  EXPECT_EQ(count_segments(s70)->encoding, SmsEncoding::ucs2);
  EXPECT_EQ(count_segments(s70)->data_coding, 0x08);
  EXPECT_EQ(count_segments(s71)->segments, 2u);
  EXPECT_FALSE(count_segments("\xff").ok());
}

TEST(Segmenter, GsmSegmentsCarryUdhAndNeverSplitEscape) {
  // 152 'a' then '€': the escape pair would straddle septets 153/154, so it moves whole.
  const std::string text = std::string(152, 'a') + "€" + std::string(10, 'b');
  auto s = segment(text, 0x1A7);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->udhi);
  EXPECT_EQ(s->data_coding, 0x00);
  ASSERT_EQ(s->count(), 2u);
  EXPECT_EQ(s->payloads[0].substr(0, 6), std::string("\x05\x00\x03\xA7\x02\x01", 6));  // low 8 bits
  EXPECT_EQ(s->payloads[1].substr(0, 6), std::string("\x05\x00\x03\xA7\x02\x02", 6));
  EXPECT_EQ(s->payloads[0].size(), 6u + 152);
  EXPECT_EQ(s->payloads[1].substr(6, 2), "\x1b\x65");
  std::string joined;
  for (auto& p : s->payloads) joined += p.substr(6);
  EXPECT_EQ(gsm7_to_utf8(joined).value(), text);
  EXPECT_EQ(count_segments(text)->segments, s->count());
}

TEST(Segmenter, SingleSegmentHasNoUdh) {
  auto s = segment("hello", 1);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->udhi);
  ASSERT_EQ(s->count(), 1u);
  EXPECT_EQ(s->payloads[0], "hello");
}

TEST(Segmenter, FourHundredGsmCharsAreThreeSegments) {
  std::string text;
  for (int i = 0; i < 400; ++i) text.push_back(static_cast<char>('a' + i % 26));
  auto s = segment(text, 9, RefSize::bits16);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->count(), 3u);
  EXPECT_EQ(s->payloads[0].substr(0, 7), std::string("\x06\x08\x04\x00\x09\x03\x01", 7));
  EXPECT_EQ(s->payloads[0].size(), 7u + 152);
}

TEST(Segmenter, EmojiNeverSplit) {
  // 66 BMP characters then emojis: the surrogate pair at units 67/68 moves whole.
  std::string text;
  for (int i = 0; i < 66; ++i) text += "ж";
  for (int i = 0; i < 40; ++i) text += "😀";
  auto s = segment(text, 3);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->encoding, SmsEncoding::ucs2);
  std::string joined;
  for (auto& p : s->payloads) {
    const std::string data = p.substr(6);
    EXPECT_LE(data.size(), 134u);
    EXPECT_EQ(data.size() % 2, 0u);
    // No segment ends on a high surrogate or starts on a low one.
    const auto last_hi = static_cast<unsigned char>(data[data.size() - 2]);
    const auto first_hi = static_cast<unsigned char>(data[0]);
    EXPECT_FALSE(last_hi >= 0xD8 && last_hi <= 0xDB);
    EXPECT_FALSE(first_hi >= 0xDC && first_hi <= 0xDF);
    EXPECT_TRUE(ucs2_to_utf8(data).ok());
    joined += data;
  }
  EXPECT_EQ(ucs2_to_utf8(joined).value(), text);
  EXPECT_EQ(s->payloads[0].size(), 6u + 66 * 2);  // 67th unit would split the first emoji
  EXPECT_EQ(count_segments(text)->segments, s->count());
}

TEST(Segmenter, TooManySegments) {
  auto s = segment(std::string(153 * 256, 'a'), 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::limit_exceeded);
  EXPECT_TRUE(segment(std::string(153 * 255, 'a'), 1).ok());
}

}  // namespace
}  // namespace passerelle::smpp
