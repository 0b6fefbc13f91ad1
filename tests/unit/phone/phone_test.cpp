#include "phone/phone.hpp"

#include <gtest/gtest.h>

namespace passerelle {
namespace {

TEST(PhoneNumbers, NormalisesNationalAndInternationalForms) {
  PhoneNumbers fr("fr");
  EXPECT_EQ(fr.parse("06 12 34 56 78").value().e164, "+33612345678");
  EXPECT_EQ(fr.parse("+33 6 12 34 56 78").value().e164, "+33612345678");
  EXPECT_EQ(fr.parse("0033612345678").value().e164, "+33612345678");
  EXPECT_EQ(fr.parse("+44 7911 123456").value().e164, "+447911123456");
  EXPECT_EQ(fr.parse("06 12 34 56 78").value().type, LineType::mobile);
}

TEST(PhoneNumbers, RejectsInvalid) {
  PhoneNumbers fr("FR");
  EXPECT_FALSE(fr.parse("").ok());
  EXPECT_FALSE(fr.parse("hello").ok());
  EXPECT_FALSE(fr.parse("+33 6 12").ok());
  EXPECT_FALSE(fr.parse("+999 123456789").ok());
  EXPECT_FALSE(fr.parse(std::string(100, '1')).ok());
  EXPECT_EQ(fr.parse("12").error().code, Errc::invalid_input);
}

// Where a country code serves several regions, or none, or a national number keeps its
// leading zero: valid numbers keep their type, invalid ones are refused.
TEST(PhoneNumbers, ValidityAcrossRegionsAndNonGeographicCodes) {
  PhoneNumbers fr("FR");
  auto us = fr.parse("+1 650 253 0000");
  ASSERT_TRUE(us.ok());
  EXPECT_EQ(us->e164, "+16502530000");
  EXPECT_EQ(us->type, LineType::fixed_or_mobile);
  auto ca = fr.parse("+1 613 995 0211");
  ASSERT_TRUE(ca.ok());
  EXPECT_EQ(ca->e164, "+16139950211");
  EXPECT_EQ(ca->type, LineType::fixed_or_mobile);
  EXPECT_FALSE(fr.parse("+1 123 456 7890").ok());  // no area code 123
  auto freephone = fr.parse("+800 1234 5678");
  ASSERT_TRUE(freephone.ok());
  EXPECT_EQ(freephone->e164, "+80012345678");
  EXPECT_EQ(freephone->type, LineType::other);  // toll-free
  auto rome = fr.parse("+39 06 6982 1234");
  ASSERT_TRUE(rome.ok());
  EXPECT_EQ(rome->e164, "+390669821234");
  EXPECT_EQ(rome->type, LineType::fixed_line);
  EXPECT_FALSE(fr.parse("+39 6 6982").ok());
  EXPECT_EQ(fr.parse("+33 1 42 68 53 00").value().type, LineType::fixed_line);
  EXPECT_FALSE(fr.parse("+33 9 99").ok());
}

TEST(PhoneNumbers, FixedLineRefusedForSmsUnlessAllowed) {
  PhoneNumbers fr("FR");
  auto fixed = fr.parse_for_sms("01 42 68 53 00", false);
  ASSERT_FALSE(fixed.ok());
  EXPECT_EQ(fixed.error().code, Errc::not_allowed);
  EXPECT_NE(fixed.error().message.find("fixed-line"), std::string::npos);
  EXPECT_TRUE(fr.parse_for_sms("01 42 68 53 00", true).ok());
  EXPECT_TRUE(fr.parse_for_sms("06 12 34 56 78", false).ok());
}

// The start-up warm-up works for any configured region, also one without example
// numbers, and leaves parsing as it was.
TEST(PhoneNumbers, WarmUpLeavesParsingAsItWas) {
  for (const char* region : {"FR", "US", "XX"}) {
    PhoneNumbers p(region);
    EXPECT_GE(p.warm_up().count(), 0) << region;
    EXPECT_EQ(p.parse("+33 6 12 34 56 78").value().e164, "+33612345678") << region;
    EXPECT_FALSE(p.parse("+33 6 12").ok()) << region;
  }
}

TEST(PhoneNumbers, KnowsRegions) {
  EXPECT_TRUE(PhoneNumbers::known_region("FR"));
  EXPECT_FALSE(PhoneNumbers::known_region("XX"));
}

}  // namespace
}  // namespace passerelle
