#include "oscar/codec/charset.hpp"

#include <gtest/gtest.h>

#include "hex.hpp"
#include "oscar/codec/fault.hpp"

namespace passerelle::oscar {
namespace {

using test::hex;
using test::to_hex;

TEST(OscarCharset, ChoosesNarrowest) {
  auto a = encode_text("hello");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->charset, charset::ascii);
  EXPECT_EQ(to_hex(a->bytes), "68656c6c6f");

  auto l = encode_text("caf\xc3\xa9 \xc2\xa3");  // "café £"
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->charset, charset::latin1);
  EXPECT_EQ(to_hex(l->bytes), "636166e920a3");

  auto u = encode_text("\xe2\x82\xac");  // "€" is not in ISO-8859-1
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->charset, charset::ucs2be);
  EXPECT_EQ(to_hex(u->bytes), "20ac");

  auto e = encode_text("a\xf0\x9f\x98\x80");  // "a😀": surrogate pair
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->charset, charset::ucs2be);
  EXPECT_EQ(to_hex(e->bytes), "0061d83dde00");

  auto c1 = encode_text("\xc2\x85");  // U+0085, a C1 control: not sent as ISO-8859-1
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(c1->charset, charset::ucs2be);

  auto empty = encode_text("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->charset, charset::ascii);
  EXPECT_TRUE(empty->bytes.empty());
}

TEST(OscarCharset, InvalidUtf8Refused) {
  for (const char* bad :
       {"\xff", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok\x80"}) {
    auto r = encode_text(bad);
    ASSERT_FALSE(r.ok()) << to_hex(as_bytes(bad));
    EXPECT_EQ(fault_of(r.error()), Fault::bad_text);
    EXPECT_FALSE(valid_utf8(bad));
  }
  EXPECT_TRUE(valid_utf8("\xf0\x9f\x98\x80 caf\xc3\xa9"));
}

TEST(OscarCharset, DecodeEachCharset) {
  EXPECT_EQ(*decode_text(charset::ascii, hex("6869")), "hi");
  EXPECT_EQ(*decode_text(charset::latin1, hex("636166e9")), "caf\xc3\xa9");
  // Windows-1252 in 0x80..0x9F (what "ISO-8859-1" senders really use), U+FFFD where undefined.
  EXPECT_EQ(*decode_text(charset::latin1, hex("80 81")), "\xe2\x82\xac\xef\xbf\xbd");
  // High bytes under "ASCII" are read the same way instead of failing.
  EXPECT_EQ(*decode_text(charset::ascii, hex("e9")), "\xc3\xa9");
  EXPECT_EQ(*decode_text(charset::ucs2be, hex("0061 20ac d83d de00")),
            "a\xe2\x82\xac\xf0\x9f\x98\x80");
}

TEST(OscarCharset, MalformedUcs2) {
  auto odd = decode_text(charset::ucs2be, hex("006100"));
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(fault_of(odd.error()), Fault::bad_text);
  // Lone surrogates become U+FFFD; the rest of the text survives.
  EXPECT_EQ(*decode_text(charset::ucs2be, hex("d83d 0061")),
            "\xef\xbf\xbd"
            "a");
  EXPECT_EQ(*decode_text(charset::ucs2be, hex("de00 0062")),
            "\xef\xbf\xbd"
            "b");
  EXPECT_EQ(*decode_text(charset::ucs2be, hex("0063 d83d")), "c\xef\xbf\xbd");
}

TEST(OscarCharset, UnknownCharset) {
  for (std::uint16_t cs : {0x0001, 0x0004, 0xFFFF}) {
    auto r = decode_text(cs, hex("41"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(fault_of(r.error()), Fault::bad_charset);
  }
}

TEST(OscarCharset, RoundTrips) {
  for (const char* s : {"", "plain", "na\xc3\xafve \xc2\xbd", "\xd0\x9f\xd1\x80\xd0\xb8",
                        "\xe4\xbd\xa0\xe5\xa5\xbd", "\xf0\x9f\x8e\x89\xf0\x9f\x98\x80 ok"}) {
    auto e = encode_text(s);
    ASSERT_TRUE(e.ok());
    auto d = decode_text(e->charset, e->bytes);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, s);
  }
}

}  // namespace
}  // namespace passerelle::oscar
