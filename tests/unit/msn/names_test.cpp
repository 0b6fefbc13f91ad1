#include "msn/codec/names.hpp"

#include <gtest/gtest.h>

namespace passerelle::msn {
namespace {

TEST(MsnNames, UrlEncodingAsOnTheWire) {
  EXPECT_EQ(url_encode("Other Contacts"), "Other%20Contacts");
  EXPECT_EQ(url_encode("<msnobj/>"), "%3Cmsnobj%2F%3E");
  EXPECT_EQ(url_encode("a@b.c"), "a%40b.c");
  EXPECT_EQ(url_encode("100% \xC3\xA9t\xC3\xA9"), "100%25%20%C3%A9t%C3%A9");
  EXPECT_EQ(url_encode("A-z_0.9~"), "A-z_0.9~");
  EXPECT_EQ(url_decode("%3Cmsnobj%2f%3E"), "<msnobj/>");
  EXPECT_EQ(url_decode("a+b"), "a+b");
  EXPECT_EQ(url_decode("100%"), "100%");
  EXPECT_EQ(url_decode("%zz%4"), "%zz%4");
  for (int c = 0; c < 256; ++c) {
    const std::string s(1, static_cast<char>(c));
    EXPECT_EQ(url_decode(url_encode(s)), s);
    EXPECT_EQ(url_encode(s).find_first_of(" \r\n,="), std::string::npos);
  }
}

TEST(MsnNames, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC3"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(MsnNames, PersonalMessageRoundTrip) {
  PersonalMessage pm{"Tom & Jerry <3 \"quotes\" 'n' caf\xC3\xA9", "\\0Music\\01\\0{0}\\0Song\\0"};
  const std::string xml = build_personal_message(pm);
  EXPECT_EQ(xml.find("Tom & "), std::string::npos);
  EXPECT_NE(xml.find("Tom &amp; Jerry &lt;3 &quot;quotes&quot; &apos;n&apos;"), std::string::npos);
  auto back = parse_personal_message(xml);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value(), pm);
}

TEST(MsnNames, PersonalMessageFromLaterServers) {
  auto pm = parse_personal_message(
      "<Data><PSM>hi &#233;&#x20AC;</PSM><CurrentMedia/><MachineGuid>{X}</MachineGuid></Data>");
  ASSERT_TRUE(pm.ok());
  EXPECT_EQ(pm.value().psm, "hi \xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(pm.value().current_media, "");
  EXPECT_FALSE(parse_personal_message("<PSM>x</PSM>").ok());
  EXPECT_FALSE(parse_personal_message("<Data><PSM>a &bogus; b</PSM></Data>").ok());
  EXPECT_FALSE(parse_personal_message("<Data><PSM>&#0;</PSM></Data>").ok());
  EXPECT_FALSE(parse_personal_message("<Data><PSM>&#xD800;</PSM></Data>").ok());
  EXPECT_FALSE(parse_personal_message("<Data><PSM>&#99999999999;</PSM></Data>").ok());
}

TEST(MsnNames, ListsAndStatuses) {
  EXPECT_EQ(list_from_code("FL"), list::forward);
  EXPECT_EQ(list_from_code("PL"), 16u);
  EXPECT_FALSE(list_from_code("XL"));
  EXPECT_STREQ(list_code(list::block), "BL");
  EXPECT_EQ(list::forward | list::allow | list::block | list::reverse | list::pending, 31u);
  for (const char* s : {"NLN", "BSY", "IDL", "BRB", "AWY", "PHN", "LUN", "HDN", "FLN"}) {
    auto st = parse_status(s);
    ASSERT_TRUE(st) << s;
    EXPECT_STREQ(status_code(*st), s);
  }
  EXPECT_FALSE(parse_status("nln"));
}

TEST(MsnNames, Capabilities) {
  // 0x50000020: MSNC5 (Messenger 7.5) with multi-packet messaging.
  auto c = parse_caps("1342177312");
  ASSERT_TRUE(c);
  EXPECT_EQ(msnc_version(*c), 5u);
  EXPECT_TRUE(*c & caps::multi_packet);
  EXPECT_FALSE(parse_caps("-1"));
  EXPECT_FALSE(parse_caps("4294967296"));
  EXPECT_FALSE(parse_caps(""));
}

}  // namespace
}  // namespace passerelle::msn
