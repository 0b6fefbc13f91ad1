#include "smpp/codec/gsm0338.hpp"

#include <gtest/gtest.h>

namespace passerelle::smpp {
namespace {

// Every character of the default table (23.038 §6.2.1) and the extension table, in
// septet order, as UTF-8. 0x1B (escape) is left out of the default row.
const char* kDefaultTable =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ" /* 0x1B */
    "ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const char* kExtensionTable = "\f^{}\\[~]|€";

TEST(Gsm0338, DefaultTableRoundTripsEverySeptet) {
  auto g = utf8_to_gsm7(kDefaultTable);
  ASSERT_TRUE(g.ok()) << g.error().message;
  ASSERT_EQ(g->size(), 127u);
  for (std::size_t i = 0; i < g->size(); ++i) {
    const int expected = i < 0x1B ? static_cast<int>(i) : static_cast<int>(i) + 1;
    EXPECT_EQ(static_cast<unsigned char>((*g)[i]), expected) << i;
  }
  EXPECT_EQ(gsm7_to_utf8(*g).value(), kDefaultTable);
}

TEST(Gsm0338, ExtensionTableUsesEscapeAndCountsTwo) {
  auto g = utf8_to_gsm7(kExtensionTable);
  ASSERT_TRUE(g.ok());
  const std::string want(
      "\x1b\x0a\x1b\x14\x1b\x28\x1b\x29\x1b\x2f\x1b\x3c\x1b\x3d\x1b\x3e\x1b\x40\x1b\x65", 20);
  EXPECT_EQ(*g, want);
  EXPECT_EQ(gsm7_to_utf8(*g).value(), kExtensionTable);
  EXPECT_EQ(gsm7_length("a€b").value(), 4u);
  EXPECT_EQ(gsm7_septets(U'€'), 2);
  EXPECT_EQ(gsm7_septets(U'A'), 1);
  EXPECT_EQ(gsm7_septets(U'ç'), 0);  // only upper-case Ç is in the table
}

TEST(Gsm0338, AllSeptetPairsDecodeWithoutError) {
  for (int a = 0; a < 128; ++a) {
    for (int b = 0; b < 128; ++b) {
      const std::string s{static_cast<char>(a), static_cast<char>(b)};
      auto u = gsm7_to_utf8(s);
      ASSERT_TRUE(u.ok());
      // Re-encoding what was decoded decodes to the same text.
      auto back = utf8_to_gsm7(*u);
      ASSERT_TRUE(back.ok()) << a << "," << b;
      EXPECT_EQ(gsm7_to_utf8(*back).value(), *u);
    }
  }
}

TEST(Gsm0338, DetectsFit) {
  EXPECT_TRUE(fits_gsm7("Hello {world} 10€"));
  EXPECT_FALSE(fits_gsm7("Привет"));
  EXPECT_FALSE(fits_gsm7("smile 😀"));
  EXPECT_FALSE(fits_gsm7("\xff"));
  auto e = utf8_to_gsm7("caf\xc3");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::invalid_input);
  EXPECT_FALSE(utf8_to_gsm7("ж").ok());
}

TEST(Gsm0338, InvalidUtf8IsTypedError) {
  for (const char* bad : {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80",
                          "\xe2\x82", "\xf0\x9f\x98"}) {
    auto r = utf8_to_code_points(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_input);
    EXPECT_FALSE(utf8_to_ucs2(bad).ok());
  }
}

TEST(Gsm0338, DecodeRejectsHighOctetsAndDropsLoneEscape) {
  EXPECT_FALSE(gsm7_to_utf8("\x80").ok());
  EXPECT_EQ(gsm7_to_utf8("A\x1b").value(), "A");
  EXPECT_EQ(gsm7_to_utf8("\x1b\x41").value(), "A");  // undefined extension: default char
  EXPECT_EQ(gsm7_to_utf8("\x1b\x1b").value(), " ");
}

TEST(Gsm0338, PackedSeptets) {
  // 23.038 §6.1.2.1.1 example: "hellohello" packs to E8 32 9B FD 46 97 D9 EC 37.
  const std::string packed = pack_septets(utf8_to_gsm7("hellohello").value());
  EXPECT_EQ(packed, "\xE8\x32\x9B\xFD\x46\x97\xD9\xEC\x37");
  EXPECT_EQ(unpack_septets(packed, 10), "hellohello");
  for (int fill = 0; fill < 7; ++fill) {
    const std::string s = utf8_to_gsm7(kDefaultTable).value();
    EXPECT_EQ(unpack_septets(pack_septets(s, fill), s.size(), fill), s) << fill;
  }
  EXPECT_EQ(unpack_septets("\x41", 5).size(), 1u);  // runs out of octets
  EXPECT_EQ(pack_septets(std::string(8, 'A')).size(), 7u);
}

TEST(Gsm0338, Ucs2WithSurrogatePairs) {
  auto u = utf8_to_ucs2("Aé€😀");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u, std::string("\x00\x41\x00\xE9\x20\xAC\xD8\x3D\xDE\x00", 10));
  EXPECT_EQ(ucs2_to_utf8(*u).value(), "Aé€😀");
  EXPECT_EQ(utf16_length("Aé€😀").value(), 5u);
  EXPECT_FALSE(ucs2_to_utf8(std::string("\x00", 1)).ok());
  // Unpaired surrogates become U+FFFD.
  EXPECT_EQ(ucs2_to_utf8(std::string("\xD8\x3D\x00\x41", 4)).value(),
            "\xEF\xBF\xBD"
            "A");
  EXPECT_EQ(ucs2_to_utf8(std::string("\xDE\x00", 2)).value(), "\xEF\xBF\xBD");
}

TEST(Gsm0338, DecodeTextByDataCoding) {
  EXPECT_EQ(decode_text(0x00, std::string("\x00\x11", 2)).value(), "@_");
  EXPECT_EQ(decode_text(0x00, "caf\xe9").value(), "café");  // Latin-1 fallback
  EXPECT_EQ(decode_text(0x03, "\xe9").value(), "é");
  EXPECT_EQ(decode_text(0x08, std::string("\x00\x41", 2)).value(), "A");
  EXPECT_EQ(decode_text(0xF0, "A").value(), "A");
  EXPECT_FALSE(decode_text(0x04, "A").ok());
  EXPECT_FALSE(decode_text(0xF4, "A").ok());
}

}  // namespace
}  // namespace passerelle::smpp
