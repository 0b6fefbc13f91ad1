// PhoneNumbers::parse takes numbers already in E.164 apart without libphonenumber's parser.
// This holds that shortcut to the parser: for every region and non-geographic code the
// library knows, its example numbers of every type and variants of them (other last
// digits, one digit more, one less) give the same answer both ways: valid or not, the same
// E.164 and the same line type.
#include <gtest/gtest.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "phone/phone.hpp"

namespace passerelle {
namespace {

using i18n::phonenumbers::PhoneNumberUtil;

std::vector<std::string> example_numbers() {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::vector<std::string> out;
  auto add = [&](const i18n::phonenumbers::PhoneNumber& n) {
    std::string e164;
    util.Format(n, PhoneNumberUtil::E164, &e164);
    out.push_back(e164);
  };
  std::set<std::string> regions;
  util.GetSupportedRegions(&regions);
  for (const auto& region : regions) {
    std::set<PhoneNumberUtil::PhoneNumberType> types;
    util.GetSupportedTypesForRegion(region, &types);
    for (const auto type : types) {
      i18n::phonenumbers::PhoneNumber n;
      if (util.GetExampleNumberForType(region, type, &n)) add(n);
    }
  }
  std::set<int> codes;
  util.GetSupportedGlobalNetworkCallingCodes(&codes);
  for (const int code : codes) {
    i18n::phonenumbers::PhoneNumber n;
    if (util.GetExampleNumberForNonGeoEntity(code, &n)) add(n);
  }
  return out;
}

TEST(E164Split, AgreesWithTheParserOnEveryRegionsNumbers) {
  const PhoneNumbers phones("FR");
  const auto examples = example_numbers();
  ASSERT_GT(examples.size(), 1000u);  // about 240 regions, several types each
  std::mt19937 rng(20261125);
  std::uniform_int_distribution<int> digit(0, 9);
  std::size_t checked = 0, valid = 0;
  auto check = [&](const std::string& text) {
    const auto want = phones.parse_through_parser(text);
    const auto got = phones.parse(text);
    ++checked;
    ASSERT_EQ(got.ok(), want.ok()) << text;
    if (!want.ok()) return;
    ++valid;
    EXPECT_EQ(got->e164, want->e164) << text;
    EXPECT_EQ(got->type, want->type) << text;
  };
  for (const auto& e164 : examples) {
    check(e164);
    for (int variant = 0; variant < 20; ++variant) {
      std::string other = e164;
      // Change the last 1 to 4 digits, keeping the country code.
      const std::size_t change = 1 + static_cast<std::size_t>(variant % 4);
      for (std::size_t k = 0; k < change && other.size() - 1 - k > 4; ++k)
        other[other.size() - 1 - k] = static_cast<char>('0' + digit(rng));
      check(other);
    }
    check(e164 + static_cast<char>('0' + digit(rng)));
    check(e164.substr(0, e164.size() - 1));
    // A trunk prefix written after the country code, as people do ("+33 0 6..."): the
    // parser drops it where the region has one.
    check(e164.substr(0, 3) + "0" + e164.substr(3));
  }
  EXPECT_GT(valid, checked / 4);  // the variants are not all invalid
}

}  // namespace
}  // namespace passerelle
